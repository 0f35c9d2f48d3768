using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Process;

/// <summary>pidfd_open, pidfd_send_signal (waitid's P_PIDFD and CLONE_PIDFD are in SysLifecycle).</summary>
internal static class SysPidFd
{
    public const int PIDFD_NONBLOCK = Libc.O_NONBLOCK;

    public static long PidfdOpen(Task t, in SyscallArguments a)
    {
        int pid = a.Int(0);
        if ((a.A1 & ~(ulong)PIDFD_NONBLOCK) != 0 || pid <= 0) return -Errno.EINVAL;
        var g = t.Kernel.Pids.GroupById(pid);
        if (g is null)
            return t.Kernel.Pids.TaskById(pid) is null ? -Errno.ESRCH : -Errno.EINVAL; // a thread, not a process
        return Install(t, g, (int)a.A1);
    }

    /// <summary>A new pidfd for g (always close-on-exec), or -errno.</summary>
    public static int Install(Task t, ThreadGroup g, int flags) => t.Fds.Add(new PidFdFile(g, flags), cloexec: true);

    public static long PidfdSendSignal(Task t, in SyscallArguments a)
    {
        int sig = a.Int(1);
        if (a.A3 != 0) return -Errno.EINVAL;
        var f = t.Fds.GetRef(a.Int(0));
        if (f is null) return -Errno.EBADF;
        try
        {
            if (f is not PidFdFile pf) return -Errno.EBADF;
            if (sig < 0 || sig > SignalHandlers.MaxSignal) return -Errno.EINVAL;
            var g = pf.Target;
            if (pf.Reaped) return -Errno.ESRCH;
            var info = new SigInfo { Signo = sig, Code = 0 /* SI_USER */, Pid = t.ThreadGroup.Tgid, Uid = (int)t.ThreadGroup.Creds.Uid };
            if (a.A2 != 0)
            {
                if (t.ReadStruct(a.A2, out info) < 0) return -Errno.EFAULT;
                if (info.Signo != sig) return -Errno.EINVAL;
                // Only the kernel may claim SI_USER/SI_KERNEL or SI_TKILL for another process.
                if (g != t.ThreadGroup && (info.Code >= 0 || info.Code == -6)) return -Errno.EPERM;
            }
            if (!SignalPermission.MayKill(t, g, sig)) return -Errno.EPERM;
            if (sig == 0 || g.Zombie) return 0;
            return t.Kernel.SendGroupSignal(g, in info, fromHost: false);
        }
        finally
        {
            f.DecRef();
        }
    }
}
