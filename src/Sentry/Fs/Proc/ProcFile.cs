using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Proc;

/// <summary>
/// A procfs file whose contents are generated when it is opened (a null result means the process
/// is gone: ESRCH). Writes go to an optional handler; without one they fail with EACCES.
/// </summary>
public sealed class ProcFile : ProcInode
{
    private readonly Func<byte[]?> _generate;
    private readonly Func<ReadOnlySpan<byte>, int>? _write;

    public ProcFile(ProcFileSystem fs, ulong ino, Func<byte[]?> generate, uint perm = 0x124 /*0444*/,
        Func<ReadOnlySpan<byte>, int>? write = null, uint uid = ProcInode.HostRoot, uint gid = ProcInode.HostRoot)
        : base(fs, ino, FileMode.Regular | perm, uid, gid)
    {
        _generate = generate;
        _write = write;
    }

    public override int Open(int flags, out FileDescription? file)
    {
        file = null;
        if ((flags & Libc.O_PATH) != 0)
        {
            file = new PathFileDescription(this, flags);
            return 0;
        }
        bool wantWrite = (flags & Libc.O_ACCMODE) != Libc.O_RDONLY;
        if (wantWrite && _write is null) return -Errno.EACCES;
        byte[]? data = (flags & Libc.O_ACCMODE) == Libc.O_WRONLY ? [] : _generate();
        if (data is null) return -Errno.ESRCH;
        file = new SnapshotFileDescription(this, flags, data, _write);
        return 0;
    }
}
