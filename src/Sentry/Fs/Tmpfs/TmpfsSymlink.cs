using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Tmpfs;

/// <summary>A tmpfs symbolic link; its size is the target's length in bytes.</summary>
public sealed class TmpfsSymlink(TmpfsFileSystem fs, string target, uint uid, uint gid)
    : TmpfsNode(fs, FileMode.Symlink | 0x1FF, uid, gid)
{
    public string Target { get; } = target;

    protected override long StatSize => System.Text.Encoding.UTF8.GetByteCount(Target);

    public override int ReadLink(out string? target)
    {
        target = Target;
        return 0;
    }

    public override int Open(int flags, out FileDescription? file)
    {
        if ((flags & Libc.O_PATH) != 0)
        {
            file = new PathFileDescription(this, flags);
            return 0;
        }
        file = null;
        return -Errno.ELOOP;
    }
}
