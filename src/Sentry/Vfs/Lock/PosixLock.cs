namespace Csrunsc.Sentry.Vfs.Lock;

/// <summary>
/// One fcntl record lock: an inclusive byte range [Start, End] (End = <see cref="PosixLock.ToEof"/>
/// for "to EOF and beyond"), read or write, and its owner: the fd table for a classic POSIX lock
/// (Linux's fl_owner = current->files), the open file description for an OFD lock.
/// </summary>
internal struct PosixLock
{
    /// <summary>Linux's OFFSET_MAX: a range that ends here grows with the file.</summary>
    public const long ToEof = long.MaxValue;

    public object Owner;
    public bool Write;
    public long Start;
    public long End;

    /// <summary>Thread-group id of the locker, as F_GETLK reports it (-1 for OFD locks).</summary>
    public int Pid;

    public bool Overlaps(long start, long end) => Start <= end && start <= End;
}

/// <summary>One flock(2) lock: whole-file, shared or exclusive, owned by an open file description.</summary>
internal struct FlockLock
{
    public FileDescription Owner;
    public bool Exclusive;
}
