using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Fs.Pipe;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>fcntl. The record-lock commands are SysLock's; leases answer EINVAL, as gVisor's fcntl does.</summary>
internal static class SysFcntl
{
    private const int F_GETLK = SysLock.F_GETLK, F_SETLK = SysLock.F_SETLK, F_SETLKW = SysLock.F_SETLKW, F_SETOWN = 8, F_GETOWN = 9, F_SETSIG = 10, F_GETSIG = 11,
        F_OFD_GETLK = SysLock.F_OFD_GETLK, F_OFD_SETLK = SysLock.F_OFD_SETLK, F_OFD_SETLKW = SysLock.F_OFD_SETLKW, F_SETLEASE = 1024, F_GETLEASE = 1025, F_NOTIFY = 1026,
        F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032, F_ADD_SEALS = 1033, F_GET_SEALS = 1034;
    /// <summary>Status flags F_SETFL may change.</summary>
    private const int SettableFlags = Libc.O_APPEND | Libc.O_NONBLOCK;

    /// <summary>The largest pipe an unprivileged process may ask for (/proc/sys/fs/pipe-max-size).</summary>
    private const int PipeMaxSize = 1024 * 1024;

    public static long Fcntl(Task t, in SyscallArguments a)
    {
        int fd = a.Int(0);
        int cmd = a.Int(1);
        var f = t.Fds.Get(fd);
        if (f is null) return -Errno.EBADF;
        // An O_PATH descriptor answers only these (Linux's check_fcntl_cmd).
        if ((f.Flags & Libc.O_PATH) != 0 && cmd is not (Libc.F_DUPFD or Libc.F_DUPFD_CLOEXEC or Libc.F_GETFD or Libc.F_SETFD or Libc.F_GETFL))
            return -Errno.EBADF;
        switch (cmd)
        {
            case Libc.F_DUPFD:
            case Libc.F_DUPFD_CLOEXEC:
            {
                int min = a.Int(2);
                if (min < 0 || min >= t.Fds.Limit) return -Errno.EINVAL;
                var dup = t.Fds.GetRef(fd);
                if (dup is null) return -Errno.EBADF;
                return t.Fds.Add(dup, cmd == Libc.F_DUPFD_CLOEXEC, min);
            }
            case Libc.F_GETFD:
                return t.Fds.GetCloseOnExec(fd) ? Libc.FD_CLOEXEC : 0;
            case Libc.F_SETFD:
                return t.Fds.SetCloseOnExec(fd, (a.Int(2) & Libc.FD_CLOEXEC) != 0);
            case Libc.F_GETFL:
                return f.Flags;
            case Libc.F_SETFL:
            {
                if ((f.Flags & Libc.O_PATH) != 0) return -Errno.EBADF;
                int arg = a.Int(2);
                lock (f.OffsetLock) f.Flags = (f.Flags & ~SettableFlags) | (arg & SettableFlags);
                return 0;
            }
            case F_GETLK:
            case F_OFD_GETLK:
            case F_SETLK:
            case F_SETLKW:
            case F_OFD_SETLK:
            case F_OFD_SETLKW:
            {
                // A waiting F_SETLKW keeps the description alive even if another thread closes the fd.
                var lf = t.Fds.GetRef(fd);
                if (lf is null) return -Errno.EBADF;
                try
                {
                    return cmd is F_GETLK or F_OFD_GETLK ? SysLock.GetLock(t, lf, cmd, a.A2) : SysLock.SetLock(t, fd, lf, cmd, a.A2);
                }
                finally
                {
                    lf.DecRef();
                }
            }
            case F_GETOWN:
            case F_GETSIG:
                return 0;
            case F_SETOWN:
            case F_SETSIG:
            case F_NOTIFY:
                return 0;
            case F_SETLEASE:
            case F_GETLEASE:
                return -Errno.EINVAL;
            case F_GETPIPE_SZ:
                return f is PipeFileDescription pg ? pg.Pipe.Capacity : -Errno.EBADF;
            case F_SETPIPE_SZ:
            {
                if (f is not PipeFileDescription ps) return -Errno.EBADF;
                long want = (long)a.A2;
                if (want > PipeMaxSize && !Capabilities.Has(t, Capabilities.SYS_RESOURCE)) return -Errno.EPERM;
                return ps.Pipe.SetCapacity(want);
            }
            case F_GET_SEALS:
                return f.Inode is Fs.Tmpfs.TmpfsRegularFile withSeals ? withSeals.Seals : -Errno.EINVAL;
            case F_ADD_SEALS:
                // memfd_add_seals' order: write access, known bits, then a file that has seals.
                if (!f.Writable) return -Errno.EPERM;
                if ((a.Int(2) & ~0x1F) != 0) return -Errno.EINVAL;
                if (f.Inode is not Fs.Tmpfs.TmpfsRegularFile toSeal) return -Errno.EINVAL;
                return toSeal.AddSeals(a.Int(2));
            default:
                return -Errno.EINVAL;
        }
    }
}
