using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>
/// Extended attributes: no filesystem stores any. get/remove answer ENODATA, list answers an
/// empty list, set answers EOPNOTSUPP — after the path or fd is checked, so ENOENT/EBADF are right.
/// </summary>
internal static class SysXattr
{
    public static long GetXattr(Task t, in SyscallArguments a) => OnPath(t, a.A0, follow: true, -Errno.ENODATA);

    public static long LGetXattr(Task t, in SyscallArguments a) => OnPath(t, a.A0, follow: false, -Errno.ENODATA);

    public static long FGetXattr(Task t, in SyscallArguments a) => OnFd(t, a.Int(0), -Errno.ENODATA);

    public static long ListXattr(Task t, in SyscallArguments a) => OnPath(t, a.A0, follow: true, 0);

    public static long LListXattr(Task t, in SyscallArguments a) => OnPath(t, a.A0, follow: false, 0);

    public static long FListXattr(Task t, in SyscallArguments a) => OnFd(t, a.Int(0), 0);

    public static long SetXattr(Task t, in SyscallArguments a) => OnPath(t, a.A0, follow: true, -Errno.EOPNOTSUPP);

    public static long LSetXattr(Task t, in SyscallArguments a) => OnPath(t, a.A0, follow: false, -Errno.EOPNOTSUPP);

    public static long FSetXattr(Task t, in SyscallArguments a) => OnFd(t, a.Int(0), -Errno.EOPNOTSUPP);

    public static long RemoveXattr(Task t, in SyscallArguments a) => OnPath(t, a.A0, follow: true, -Errno.ENODATA);

    public static long LRemoveXattr(Task t, in SyscallArguments a) => OnPath(t, a.A0, follow: false, -Errno.ENODATA);

    public static long FRemoveXattr(Task t, in SyscallArguments a) => OnFd(t, a.Int(0), -Errno.ENODATA);

    private static long OnPath(Task t, ulong pathAddr, bool follow, long answer)
    {
        int r = GuestPath.Read(t, pathAddr, out string path);
        if (r < 0) return r;
        r = PathResolver.Resolve(t, Libc.AT_FDCWD, path, follow, out VfsPath? _);
        return r < 0 ? r : answer;
    }

    private static long OnFd(Task t, int fd, long answer)
    {
        var f = t.Fds.Get(fd);
        if (f is null || (f.Flags & Libc.O_PATH) != 0) return -Errno.EBADF;
        return answer;
    }
}
