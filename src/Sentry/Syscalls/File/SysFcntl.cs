using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Fs.Pipe;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>fcntl. The record-lock commands are SysLock's; leases answer EINVAL, as gVisor's fcntl does.</summary>
internal static class SysFcntl
{
    private const int F_GETLK = SysLock.F_GETLK, F_SETLK = SysLock.F_SETLK, F_SETLKW = SysLock.F_SETLKW, F_SETOWN = 8, F_GETOWN = 9, F_SETSIG = 10, F_GETSIG = 11,
        F_OFD_GETLK = SysLock.F_OFD_GETLK, F_OFD_SETLK = SysLock.F_OFD_SETLK, F_OFD_SETLKW = SysLock.F_OFD_SETLKW, F_SETLEASE = 1024, F_GETLEASE = 1025, F_NOTIFY = 1026,
        F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032, F_ADD_SEALS = 1033, F_GET_SEALS = 1034, F_SETOWN_EX = 15, F_GETOWN_EX = 16;
    /// <summary>Status flags F_SETFL may change (O_DIRECT and O_NOATIME are left as they are).</summary>
    private const int SettableFlags = Libc.O_APPEND | Libc.O_NONBLOCK | O_ASYNC;

    private const int O_ASYNC = 0x2000;

    /// <summary>The largest pipe an unprivileged process may ask for (/proc/sys/fs/pipe-max-size).</summary>
    private const int PipeMaxSize = 1024 * 1024;

    /// <summary>
    /// f_setown / f_setown_ex: the owner must exist (ESRCH). F_SETOWN takes a process id or any
    /// thread's id (Linux keeps the thread's pid but then signals only a process leader);
    /// F_SETOWN_EX names a thread, a process or a process group exactly.
    /// </summary>
    internal static int SetOwner(Task t, FileDescription f, int type, int id, bool anyTask)
    {
        Task? task = null;
        ThreadGroup? group = null;
        if (id != 0)
        {
            var pids = t.Kernel.Pids;
            switch (type)
            {
                case FileAsync.OwnerTid:
                    task = pids.TaskById(id);
                    if (task is null) return -Errno.ESRCH;
                    break;
                case FileAsync.OwnerPid:
                    group = pids.GroupById(id);
                    if (group is null && !(anyTask && pids.TaskById(id) is not null)) return -Errno.ESRCH;
                    break;
                default:
                    if (!ProcessGroupExists(t, id)) return -Errno.ESRCH;
                    break;
            }
        }
        f.Async.SetOwner(t, type, id, task, group);
        return 0;
    }

    /// <summary>f_getown: a process group owner is reported negative.</summary>
    internal static int GetOwn(FileDescription f)
    {
        var (type, id) = f.AsyncIfAny?.Owner ?? (FileAsync.OwnerPid, 0);
        return type == FileAsync.OwnerPgrp ? -id : id;
    }

    /// <summary>f_setown: who &gt; 0 a process, &lt; 0 a process group, 0 none.</summary>
    internal static int SetOwn(Task t, FileDescription f, int who)
    {
        if (who == int.MinValue) return -Errno.EINVAL;
        return SetOwner(t, f, who < 0 ? FileAsync.OwnerPgrp : FileAsync.OwnerPid, Math.Abs(who), anyTask: true);
    }

    private static bool ProcessGroupExists(Task t, int pgid)
    {
        foreach (var g in t.Kernel.Pids.Groups())
            if (g.Pgid == pgid) return true;
        return false;
    }

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
                // As fasync_helper: O_ASYNC sticks only on files that can signal I/O.
                if (!f.SignalsIo) arg &= ~O_ASYNC;
                if (((arg ^ f.Flags) & O_ASYNC) != 0) f.Async.Enable(fd, (arg & O_ASYNC) != 0);
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
                return GetOwn(f);
            case F_SETOWN:
                return SetOwn(t, f, a.Int(2));
            case F_GETOWN_EX:
            {
                var (type, id) = f.AsyncIfAny?.Owner ?? (FileAsync.OwnerPid, 0);
                Span<int> owner = [type, id];
                return t.CopyOut(a.A2, System.Runtime.InteropServices.MemoryMarshal.AsBytes(owner));
            }
            case F_SETOWN_EX:
            {
                Span<int> owner = stackalloc int[2];
                int r = t.CopyIn(a.A2, System.Runtime.InteropServices.MemoryMarshal.AsBytes(owner));
                if (r < 0) return r;
                if (owner[0] is not (FileAsync.OwnerTid or FileAsync.OwnerPid or FileAsync.OwnerPgrp)) return -Errno.EINVAL;
                return SetOwner(t, f, owner[0], owner[1], anyTask: false);
            }
            case F_GETSIG:
                return f.AsyncIfAny?.Signal ?? 0;
            case F_SETSIG:
            {
                ulong sig = a.A2;
                if (sig > 64) return -Errno.EINVAL;
                f.Async.SetSignal((int)sig);
                return 0;
            }
            case F_NOTIFY:
                // dnotify (directory change signals) is not implemented: refused, not ignored; inotify is.
                return -Errno.EINVAL;
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
