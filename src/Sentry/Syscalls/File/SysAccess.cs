using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>access, faccessat, faccessat2: real ids unless AT_EACCESS.</summary>
internal static class SysAccess
{
    private const int AT_EACCESS = 0x200;
    private const int F_OK = 0, X_OK = 1, W_OK = 2, R_OK = 4;

    public static long Access(Task t, in SyscallArguments a) => AccessAt(t, Libc.AT_FDCWD, a.A0, a.Int(1), 0);

    public static long FAccessAt(Task t, in SyscallArguments a) => AccessAt(t, a.Int(0), a.A1, a.Int(2), 0);

    public static long FAccessAt2(Task t, in SyscallArguments a) => AccessAt(t, a.Int(0), a.A1, a.Int(2), a.Int(3));

    private static long AccessAt(Task t, int dirfd, ulong pathAddr, int mode, int flags)
    {
        if ((mode & ~(R_OK | W_OK | X_OK)) != 0) return -Errno.EINVAL;
        if ((flags & ~(AT_EACCESS | Libc.AT_SYMLINK_NOFOLLOW | Libc.AT_EMPTY_PATH)) != 0) return -Errno.EINVAL;
        int r = GuestPath.ResolveAt(t, dirfd, pathAddr, flags, out VfsPath? p);
        if (r < 0) return r;
        if (mode == F_OK) return 0;
        uint type = p!.Inode.Mode & FileMode.TypeMask;
        if ((mode & W_OK) != 0 && type is FileMode.Regular or FileMode.Directory or FileMode.Symlink && PathResolver.IsReadOnly(p))
            return -Errno.EROFS;
        return FilePermissions.Check(t, p.Inode, mode, realIds: (flags & AT_EACCESS) == 0);
    }
}
