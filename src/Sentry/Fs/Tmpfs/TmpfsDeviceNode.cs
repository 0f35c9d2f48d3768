using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Tmpfs;

/// <summary>
/// A character or block device node, or a socket node made by mknod. Opening a character device goes
/// to the driver in <see cref="DeviceRegistry"/>; block devices and sockets cannot be opened (ENXIO).
/// </summary>
public sealed class TmpfsDeviceNode(TmpfsFileSystem fs, uint mode, ulong rdev, uint uid, uint gid)
    : TmpfsNode(fs, mode, uid, gid)
{
    protected override ulong Rdev => rdev;

    public ulong DeviceNumber => rdev;

    public override int Open(int flags, out FileDescription? file)
    {
        if ((flags & Libc.O_PATH) != 0)
        {
            file = new PathFileDescription(this, flags);
            return 0;
        }
        if ((Mode & FileMode.TypeMask) != FileMode.CharDevice)
        {
            file = null;
            return -Errno.ENXIO;
        }
        return DeviceRegistry.Open(rdev, this, flags, out file);
    }
}
