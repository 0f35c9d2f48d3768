using Csrunsc.Native;

namespace Csrunsc.Sentry.Vfs;

/// <summary>A process's file descriptor table: fd → (description, close-on-exec). Shared with CLONE_FILES.</summary>
public sealed class FdTable
{
    private FileDescription?[] _files = new FileDescription?[64];
    private bool[] _cloexec = new bool[64];
    private readonly object _lock = new();

    /// <summary>RLIMIT_NOFILE soft limit: the first fd number that may not be allocated.</summary>
    public int Limit { get; set; } = 1024;

    // Tasks using this table (CLONE_FILES shares it, also between processes); the last one to leave closes everything.
    private int _users = 1;

    /// <summary>Another task shares this table (clone with CLONE_FILES).</summary>
    public void AddUser() => Interlocked.Increment(ref _users);

    /// <summary>A task stops using this table (exit, exec or unshare of a shared table); the last user closes every fd.</summary>
    public void RemoveUser()
    {
        if (Interlocked.Decrement(ref _users) == 0) CloseAll();
    }

    /// <summary>More than one task uses the table.</summary>
    public bool Shared => Volatile.Read(ref _users) > 1;

    /// <summary>POSIX record locks this table owns (guarded by FileLocks.Sync): a close checks the lock table only when non-zero.</summary>
    internal int PosixLockCount;

    /// <summary>Drops a closed descriptor's reference, releasing this table's POSIX locks on its file first (Linux's filp_close).</summary>
    private void Closed(FileDescription file)
    {
        Lock.FileLocks.ClosedByFdTable(this, file);
        file.DecRef();
    }

    public FileDescription? Get(int fd)
    {
        var files = _files;
        return (uint)fd < (uint)files.Length ? Volatile.Read(ref files[fd]) : null;
    }

    /// <summary>Gets a description with an extra reference, safe against a concurrent close. Caller DecRefs.</summary>
    public FileDescription? GetRef(int fd)
    {
        lock (_lock)
        {
            var f = (uint)fd < (uint)_files.Length ? _files[fd] : null;
            f?.IncRef();
            return f;
        }
    }

    public bool GetCloseOnExec(int fd)
    {
        lock (_lock) return (uint)fd < (uint)_files.Length && _cloexec[fd];
    }

    public int SetCloseOnExec(int fd, bool value)
    {
        lock (_lock)
        {
            if ((uint)fd >= (uint)_files.Length || _files[fd] is null) return -Errno.EBADF;
            _cloexec[fd] = value;
            return 0;
        }
    }

    /// <summary>Installs a description at the lowest free fd ≥ minFd. Takes over the caller's reference.</summary>
    public int Add(FileDescription file, bool cloexec, int minFd = 0)
    {
        lock (_lock)
        {
            for (int fd = minFd; fd < Limit; fd++)
            {
                if (fd >= _files.Length) Grow(fd + 1);
                if (_files[fd] is null)
                {
                    _files[fd] = file;
                    _cloexec[fd] = cloexec;
                    return fd;
                }
            }
        }
        file.DecRef();
        return -Errno.EMFILE;
    }

    /// <summary>Installs at exactly fd (dup2), closing what was there. Takes over the caller's reference.</summary>
    public int Set(int fd, FileDescription file, bool cloexec)
    {
        if (fd < 0 || fd >= Limit)
        {
            file.DecRef();
            return -Errno.EBADF;
        }
        FileDescription? old;
        lock (_lock)
        {
            if (fd >= _files.Length) Grow(fd + 1);
            old = _files[fd];
            _files[fd] = file;
            _cloexec[fd] = cloexec;
        }
        if (old is not null) Closed(old);
        return fd;
    }

    public int Close(int fd)
    {
        FileDescription? old;
        lock (_lock)
        {
            if ((uint)fd >= (uint)_files.Length || _files[fd] is null) return -Errno.EBADF;
            old = _files[fd];
            _files[fd] = null;
            _cloexec[fd] = false;
        }
        Closed(old!);
        return 0;
    }

    /// <summary>A copy for fork without CLONE_FILES: every description gains a reference.</summary>
    public FdTable Fork()
    {
        var copy = new FdTable { Limit = Limit };
        lock (_lock)
        {
            copy._files = (FileDescription?[])_files.Clone();
            copy._cloexec = (bool[])_cloexec.Clone();
            foreach (var f in copy._files) f?.IncRef();
        }
        return copy;
    }

    /// <summary>execve: closes close-on-exec descriptors.</summary>
    public void CloseOnExec()
    {
        var toClose = new List<FileDescription>();
        lock (_lock)
        {
            for (int fd = 0; fd < _files.Length; fd++)
            {
                if (_files[fd] is { } f && _cloexec[fd])
                {
                    toClose.Add(f);
                    _files[fd] = null;
                    _cloexec[fd] = false;
                }
            }
        }
        foreach (var f in toClose) Closed(f);
    }

    /// <summary>Closes everything (process exit).</summary>
    public void CloseAll()
    {
        FileDescription?[] files;
        lock (_lock)
        {
            files = _files;
            _files = new FileDescription?[8];
            _cloexec = new bool[8];
        }
        foreach (var f in files) if (f is not null) Closed(f);
    }

    /// <summary>Open fds in ascending order (for /proc/self/fd).</summary>
    public List<int> OpenFds()
    {
        var list = new List<int>();
        lock (_lock)
        {
            for (int fd = 0; fd < _files.Length; fd++) if (_files[fd] is not null) list.Add(fd);
        }
        return list;
    }

    private void Grow(int min)
    {
        int n = Math.Max(min, _files.Length * 2);
        Array.Resize(ref _files, n);
        Array.Resize(ref _cloexec, n);
    }
}
