using Csrunsc.Native;

namespace Csrunsc.Sentry.Fs.Socket.Unix;

/// <summary>
/// The AF_UNIX part of a network namespace: the abstract names bound in it (per socket type, as
/// Linux hashes them) and every live socket created in it (/proc/net/unix). One object per
/// namespace, so that sandboxes sharing a network namespace can share it later.
/// </summary>
public sealed class UnixNamespace
{
    private readonly object _lock = new();
    private readonly Dictionary<AbstractKey, UnixSocket> _abstract = new();
    private readonly SortedDictionary<long, UnixSocket> _sockets = new();
    private int _autobind = Random.Shared.Next(0x100000);

    private readonly record struct AbstractKey(int Type, string Name);

    private static AbstractKey Key(int type, UnixAddress address) =>
        new(type, System.Text.Encoding.Latin1.GetString(address.Bytes));

    internal void Added(UnixSocket s)
    {
        lock (_lock) _sockets[s.Id] = s;
    }

    internal void Removed(UnixSocket s)
    {
        lock (_lock) _sockets.Remove(s.Id);
    }

    /// <summary>The live sockets, oldest first.</summary>
    public UnixSocket[] Sockets()
    {
        lock (_lock) return [.. _sockets.Values];
    }

    /// <summary>Binds an abstract name: -EADDRINUSE when a socket of the same type has it.</summary>
    internal int BindAbstract(UnixSocket s, UnixAddress address)
    {
        lock (_lock) return _abstract.TryAdd(Key(s.Type, address), s) ? 0 : -Errno.EADDRINUSE;
    }

    /// <summary>unix_autobind: the first free "\0XXXXX" name after a random start, -ENOSPC when all are taken.</summary>
    internal int Autobind(UnixSocket s, out UnixAddress? address)
    {
        lock (_lock)
        {
            int start = _autobind & 0xFFFFF;
            int n = start;
            while (true)
            {
                n = (n + 1) & 0xFFFFF;
                var candidate = UnixAddress.Autobind(n);
                if (_abstract.TryAdd(Key(s.Type, candidate), s))
                {
                    _autobind = n;
                    address = candidate;
                    return 0;
                }
                if (n == start)
                {
                    address = null;
                    return -Errno.ENOSPC;
                }
            }
        }
    }

    internal UnixSocket? FindAbstract(int type, UnixAddress address)
    {
        lock (_lock) return _abstract.GetValueOrDefault(Key(type, address));
    }

    internal void UnbindAbstract(UnixSocket s, UnixAddress address)
    {
        lock (_lock)
        {
            var key = Key(s.Type, address);
            if (_abstract.TryGetValue(key, out var bound) && ReferenceEquals(bound, s)) _abstract.Remove(key);
        }
    }
}

/// <summary>
/// Sockets bound to file-system nodes, by the node's identity (device, inode) — Linux's
/// bsd_socket_buckets, keyed by inode. The node itself is an ordinary S_IFSOCK file in whatever
/// filesystem holds it (tmpfs, or the gofer's host directory); the socket object only lives here.
/// </summary>
public sealed class UnixPathTable
{
    private readonly object _lock = new();
    private readonly Dictionary<(ulong Dev, ulong Ino), UnixSocket> _bound = new();

    internal void Bind((ulong Dev, ulong Ino) node, UnixSocket s)
    {
        lock (_lock) _bound[node] = s;
    }

    internal UnixSocket? Find((ulong Dev, ulong Ino) node)
    {
        lock (_lock) return _bound.GetValueOrDefault(node);
    }

    internal void Unbind((ulong Dev, ulong Ino) node, UnixSocket s)
    {
        lock (_lock)
        {
            if (_bound.TryGetValue(node, out var bound) && ReferenceEquals(bound, s)) _bound.Remove(node);
        }
    }

    /// <summary>The node's last name was removed (unlink): nothing can reach the socket by path any more.</summary>
    public void Unlinked((ulong Dev, ulong Ino) node)
    {
        lock (_lock) _bound.Remove(node);
    }
}
