namespace Csrunsc.Sentry.Vfs;

/// <summary>One mounted filesystem instance: its device number, type name and root.</summary>
public abstract class FileSystem
{
    private static int s_nextDev = 0x100;

    protected FileSystem(string type, bool readOnly)
    {
        Type = type;
        ReadOnly = readOnly;
        Dev = (ulong)Interlocked.Increment(ref s_nextDev);
    }

    /// <summary>Filesystem type as /proc/mounts shows it (tmpfs, proc, 9p, ...).</summary>
    public string Type { get; }

    public ulong Dev { get; }

    public bool ReadOnly { get; set; }

    public abstract Inode Root { get; }

    private long _nextIno = 1;

    /// <summary>Allocates an inode number for synthetic filesystems.</summary>
    public ulong NextIno() => (ulong)Interlocked.Increment(ref _nextIno);
}
