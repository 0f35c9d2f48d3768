using Csrunsc.Native;

namespace Csrunsc.Sentry.Vfs;

/// <summary>
/// Extended attributes kept in memory for one inode (Linux's simple_xattrs, what tmpfs uses): full
/// names ("user.x") to values, listed in descending byte order of the names, as Linux 6.18's tmpfs
/// lists them (its rbtree walked from the largest). Permission and
/// namespace checks are the syscall layer's (SysXattr); this only stores. The store is its own lock.
/// </summary>
public sealed class XattrStore
{
    public const int XATTR_CREATE = 1, XATTR_REPLACE = 2;

    private readonly SortedDictionary<string, byte[]> _values = new(Comparer<string>.Create(static (x, y) => string.CompareOrdinal(y, x)));
    private readonly Action? _changed;

    /// <param name="changed">Run after every change (the inode's ctime moves, as simple_xattr_set's callers do).</param>
    public XattrStore(Action? changed = null) => _changed = changed;

    /// <summary>Copies the value of name into dst (dst empty: only its size). Length, -ENODATA, or -ERANGE when dst is too small.</summary>
    public int Get(string name, Span<byte> dst, bool sizeOnly)
    {
        lock (_values)
        {
            if (!_values.TryGetValue(name, out byte[]? v)) return -Errno.ENODATA;
            if (sizeOnly) return v.Length;
            if (v.Length > dst.Length) return -Errno.ERANGE;
            v.CopyTo(dst);
            return v.Length;
        }
    }

    /// <summary>simple_xattr_set with a value: XATTR_CREATE fails with EEXIST on an existing name, XATTR_REPLACE with ENODATA on a missing one.</summary>
    public int Set(string name, ReadOnlySpan<byte> value, int flags)
    {
        lock (_values)
        {
            bool exists = _values.ContainsKey(name);
            if (exists && (flags & XATTR_CREATE) != 0) return -Errno.EEXIST;
            if (!exists && (flags & XATTR_REPLACE) != 0) return -Errno.ENODATA;
            _values[name] = value.ToArray();
        }
        _changed?.Invoke();
        return 0;
    }

    /// <summary>Removes name: 0 or -ENODATA.</summary>
    public int Remove(string name)
    {
        lock (_values)
        {
            if (!_values.Remove(name)) return -Errno.ENODATA;
        }
        _changed?.Invoke();
        return 0;
    }

    /// <summary>The names, in order, that visible accepts (trusted.* is hidden from callers without CAP_SYS_ADMIN).</summary>
    public void List(List<string> into, Func<string, bool> visible)
    {
        lock (_values)
        {
            foreach (var name in _values.Keys)
                if (visible(name)) into.Add(name);
        }
    }
}
