using System.Collections.Concurrent;
using Csrunsc.Gofer;
using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs.Gofer;

/// <summary>
/// The rootfs or a bind mount, served by the gofer: inodes wrap gofer fids, file data goes straight to
/// the host fds the gofer donates. Fids of inodes the Sentry forgot are closed in batches.
/// </summary>
public sealed class GoferFileSystem : FileSystem
{
    private const int CloseBatch = 64;

    private readonly GoferInode _root;
    private readonly ConcurrentQueue<uint> _deadFids = new();
    private long _generation;

    /// <summary>
    /// Attaches to tree attachIndex (0 = rootfs, i = bind mount i-1). Throws IOException if the gofer
    /// refuses (boot only). users: the container's user namespace; the gofer's stats carry host ids,
    /// its creates and chowns take them (null: the identity, no user namespace).
    /// </summary>
    public GoferFileSystem(GoferClient client, int attachIndex, bool readOnly, Kernel.UserNamespaceMap? users = null) : base("9p", readOnly)
    {
        Client = client;
        Users = users ?? Kernel.UserNamespaceMap.Initial;
        int r = client.Attach((uint)attachIndex, out uint fid, out StatBuf st);
        if (r < 0) throw new IOException($"gofer attach {attachIndex}: {Errno.Name(-r)}");
        _root = new GoferInode(this, fid, st, "/");
    }

    public GoferClient Client { get; }

    /// <summary>The id maps between the host ids the gofer speaks and the container ids the guest sees.</summary>
    public Kernel.UserNamespaceMap Users { get; }

    public override Inode Root => _root;

    /// <summary>Bumped by every change made through this filesystem: cached regular-file stats older than it are refreshed.</summary>
    internal long Generation => Volatile.Read(ref _generation);

    internal void Changed() => Interlocked.Increment(ref _generation);

    /// <summary>Queues a fid whose inode was collected; closed with the next batch.</summary>
    internal void ForgetFid(uint fid)
    {
        _deadFids.Enqueue(fid);
        if (_deadFids.Count >= CloseBatch) ThreadPool.UnsafeQueueUserWorkItem(static fs => fs.FlushDeadFids(), this, false);
    }

    /// <summary>Closes every forgotten fid in one round trip.</summary>
    public void FlushDeadFids()
    {
        if (_deadFids.IsEmpty) return;
        Span<uint> batch = stackalloc uint[CloseBatch];
        while (true)
        {
            int n = 0;
            while (n < batch.Length && _deadFids.TryDequeue(out uint fid)) batch[n++] = fid;
            if (n == 0) return;
            Client.Close(batch[..n]);
        }
    }
}
