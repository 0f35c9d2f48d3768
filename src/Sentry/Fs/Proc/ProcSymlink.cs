using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Proc;

/// <summary>A procfs symlink whose target is computed on each readlink (self, exe, cwd, fd/N, ...).</summary>
public class ProcSymlink(ProcFileSystem fs, ulong ino, Func<string?> target, uint uid = ProcInode.HostRoot, uint gid = ProcInode.HostRoot)
    : ProcInode(fs, ino, FileMode.Symlink | 0x1FF, uid, gid)
{
    public override int ReadLink(out string? value)
    {
        value = target();
        return value is null ? -Errno.ENOENT : 0;
    }

    protected override long StatSize => target()?.Length ?? 0;

    public override int Open(int flags, out FileDescription? file)
    {
        file = null;
        if ((flags & Libc.O_PATH) == 0) return -Errno.ELOOP;
        file = new PathFileDescription(this, flags);
        return 0;
    }
}
