using Csrunsc.Native;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>fsync, fdatasync, sync, syncfs, fadvise64.</summary>
internal static class SysSync
{
    public static long FSync(Task t, in SyscallArguments a)
    {
        var f = t.Fds.GetRef(a.Int(0));
        if (f is null) return -Errno.EBADF;
        try
        {
            if ((f.Flags & Libc.O_PATH) != 0) return -Errno.EBADF;
            return f.Sync();
        }
        finally
        {
            f.DecRef();
        }
    }

    public static long Sync(Task t, in SyscallArguments a) => 0;

    public static long SyncFs(Task t, in SyscallArguments a) => t.Fds.Get(a.Int(0)) is null ? -Errno.EBADF : 0;

    /// <summary>posix_fadvise: advice is validated and ignored.</summary>
    public static long FAdvise64(Task t, in SyscallArguments a)
    {
        var f = t.Fds.Get(a.Int(0));
        if (f is null || (f.Flags & Libc.O_PATH) != 0) return -Errno.EBADF;
        if (!f.Seekable) return -Errno.ESPIPE;
        if ((long)a.A2 < 0 || (uint)a.A3 > 5) return -Errno.EINVAL;
        return 0;
    }
}
