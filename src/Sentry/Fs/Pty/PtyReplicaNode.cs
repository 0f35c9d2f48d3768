using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Tmpfs;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Pty;

/// <summary>
/// /dev/pts/N: a character device (major 136 + N/256, minor N%256) whose open reaches its pty
/// directly. Owner: the uid that opened ptmx; group and mode: devpts' gid= and mode= options.
/// </summary>
internal sealed class PtyReplicaNode(TmpfsFileSystem fs, Pty pty, uint mode, uint uid, uint gid)
    : TmpfsNode(fs, FileMode.CharDevice | (mode & 0xFFF), uid, gid)
{
    public const uint FirstMajor = 136;

    public Pty Pty { get; } = pty;

    protected override ulong Rdev => DeviceNumber.Make(FirstMajor + (uint)Pty.Index / 256, (uint)Pty.Index % 256);

    public override int Open(int flags, out FileDescription? file)
    {
        if ((flags & Libc.O_PATH) != 0)
        {
            file = new PathFileDescription(this, flags);
            return 0;
        }
        return Pty.OpenReplica(Kernel.Task.Current, this, flags, viaDevTty: false, out file);
    }
}
