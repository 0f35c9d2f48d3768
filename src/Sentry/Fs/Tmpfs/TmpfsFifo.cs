using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Tmpfs;

/// <summary>A named pipe made by mknod/mkfifo: every open joins the same <see cref="Pipe.Pipe"/>.</summary>
public sealed class TmpfsFifo(TmpfsFileSystem fs, uint permissions, uint uid, uint gid)
    : TmpfsNode(fs, FileMode.Fifo | (permissions & 0xFFF), uid, gid)
{
    private readonly Pipe.Pipe _pipe = new();

    public override int Open(int flags, out FileDescription? file)
    {
        if ((flags & Libc.O_PATH) != 0)
        {
            file = new PathFileDescription(this, flags);
            return 0;
        }
        return _pipe.OpenFifo(this, flags, Kernel.Task.Current, out file);
    }
}
