using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Signal;

/// <summary>rt_sigaction, rt_sigprocmask, kill, tgkill, sigaltstack, rt_sigsuspend, ...</summary>
internal static class SysSignal
{
    private static readonly ulong Unblockable = Task.Bit(Libc.SIGKILL) | Task.Bit(Libc.SIGSTOP);

    public static long RtSigaction(Task t, in SyscallArguments a)
    {
        int sig = a.Int(0);
        if (sig < 1 || sig > SignalHandlers.MaxSignal || a.A3 != 8) return -Errno.EINVAL;
        var actions = t.ThreadGroup.Handlers.Actions;
        var old = actions[sig];
        if (a.A1 != 0)
        {
            if (sig == Libc.SIGKILL || sig == Libc.SIGSTOP) return -Errno.EINVAL;
            if (t.ReadStruct(a.A1, out SigAction act) < 0) return -Errno.EFAULT;
            act.Mask &= ~Unblockable;
            actions[sig] = act;
            // Setting SIG_IGN (or a default-ignored SIG_DFL) discards pending instances.
            if (act.Handler == SigAction.SIG_IGN || (act.Handler == SigAction.SIG_DFL && Task.DefaultIgnored(sig)))
            {
                t.ThreadGroup.SharedPending.Remove(sig);
                foreach (var task in t.ThreadGroup.TasksSnapshot()) task.Pending.Remove(sig);
            }
        }
        if (a.A2 != 0 && t.WriteStruct(a.A2, old) < 0) return -Errno.EFAULT;
        return 0;
    }

    public const int SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;

    public static long RtSigprocmask(Task t, in SyscallArguments a)
    {
        if (a.A3 != 8) return -Errno.EINVAL;
        ulong old = t.SignalMask;
        if (a.A1 != 0)
        {
            if (t.ReadStruct(a.A1, out ulong set) < 0) return -Errno.EFAULT;
            switch (a.Int(0))
            {
                case SIG_BLOCK: t.SignalMask |= set; break;
                case SIG_UNBLOCK: t.SignalMask &= ~set; break;
                case SIG_SETMASK: t.SignalMask = set; break;
                default: return -Errno.EINVAL;
            }
            t.SignalMask &= ~Unblockable;
            if ((old & ~t.SignalMask) != 0) t.Interrupt(); // newly unblocked: check pending on the way out
        }
        if (a.A2 != 0 && t.WriteStruct(a.A2, old) < 0) return -Errno.EFAULT;
        return 0;
    }

    public static long RtSigreturn(Task t, in SyscallArguments a) => t.SigReturn();

    public static long RtSigpending(Task t, in SyscallArguments a)
    {
        ulong set = (t.Pending.Set | t.ThreadGroup.SharedPending.Set) & t.SignalMask;
        return t.WriteStruct(a.A0, set) < 0 ? -Errno.EFAULT : 0;
    }

    public static long RtSigsuspend(Task t, in SyscallArguments a)
    {
        if (a.A1 != 8) return -Errno.EINVAL;
        if (t.ReadStruct(a.A0, out ulong mask) < 0) return -Errno.EFAULT;
        t.SavedSignalMask = t.SignalMask;
        t.SignalMask = mask & ~Unblockable;
        t.RecalcPendingSignals();
        while (true)
        {
            int r = t.Block();
            if (r == -Errno.ERESTARTSYS) return -Errno.ERESTARTNOHAND;
        }
    }

    public static long Pause(Task t, in SyscallArguments a)
    {
        while (true)
        {
            int r = t.Block();
            if (r == -Errno.ERESTARTSYS) return -Errno.ERESTARTNOHAND;
        }
    }

    private static SigInfo UserInfo(Task t, int sig) =>
        new() { Signo = sig, Code = 0 /* SI_USER */, Pid = t.ThreadGroup.Tgid, Uid = (int)t.ThreadGroup.Creds.Uid };

    public static long Kill(Task t, in SyscallArguments a)
    {
        int pid = a.Int(0), sig = a.Int(1);
        if (sig < 0 || sig > SignalHandlers.MaxSignal) return -Errno.EINVAL;
        var info = UserInfo(t, sig);
        var kernel = t.Kernel;
        if (pid > 0)
        {
            // A thread id names its process too (find_vpid).
            var g = kernel.Pids.GroupById(pid) ?? kernel.Pids.TaskById(pid)?.ThreadGroup;
            if (g is null) return -Errno.ESRCH;
            if (!SignalPermission.MayKill(t, g, sig)) return -Errno.EPERM;
            if (g.Zombie) return 0;
            return kernel.SendGroupSignal(g, in info, fromHost: false);
        }
        if (pid == 0) return kernel.SignalProcessGroup(t.ThreadGroup.Pgid, in info, t);
        if (pid == -1) return sig == 0 ? 0 : kernel.SignalAll(t, in info);
        if (pid == int.MinValue) return -Errno.ESRCH;
        return kernel.SignalProcessGroup(-pid, in info, t);
    }

    public static long Tgkill(Task t, in SyscallArguments a) => ThreadKill(t, a.Int(0), a.Int(1), a.Int(2));

    public static long Tkill(Task t, in SyscallArguments a) => ThreadKill(t, -1, a.Int(0), a.Int(1));

    private static long ThreadKill(Task t, int tgid, int tid, int sig)
    {
        if (tid <= 0 || sig < 0 || sig > SignalHandlers.MaxSignal) return -Errno.EINVAL;
        var target = t.Kernel.Pids.TaskById(tid);
        if (target is null || (tgid > 0 && target.ThreadGroup.Tgid != tgid)) return -Errno.ESRCH;
        if (!SignalPermission.MayKill(t, target.ThreadGroup, sig)) return -Errno.EPERM;
        if (sig == 0) return 0;
        if (sig == Libc.SIGKILL) return t.Kernel.SendGroupSignal(target.ThreadGroup, UserInfo(t, sig), fromHost: false);
        var info = UserInfo(t, sig);
        info.Code = -6; // SI_TKILL
        return target.SendSignal(in info);
    }

    /// <summary>rt_sigqueueinfo(tgid, sig, info): a process-directed signal with the caller's siginfo.</summary>
    public static long RtSigqueueinfo(Task t, in SyscallArguments a)
    {
        int pid = a.Int(0), sig = a.Int(1);
        if (t.ReadStruct(a.A2, out SigInfo info) < 0) return -Errno.EFAULT;
        if (sig < 0 || sig > SignalHandlers.MaxSignal) return -Errno.EINVAL;
        var g = pid > 0 ? t.Kernel.Pids.GroupById(pid) ?? t.Kernel.Pids.TaskById(pid)?.ThreadGroup : null;
        if (g is null) return -Errno.ESRCH;
        // Only the kernel sends SI_USER/SI_KERNEL or SI_TKILL codes to another process.
        if (g != t.ThreadGroup && (info.Code >= 0 || info.Code == -6)) return -Errno.EPERM;
        if (!SignalPermission.MayKill(t, g, sig)) return -Errno.EPERM;
        info.Signo = sig;
        if (sig == 0 || g.Zombie) return 0;
        return t.Kernel.SendGroupSignal(g, in info, fromHost: false);
    }

    /// <summary>rt_tgsigqueueinfo(tgid, tid, sig, info): the same, to one thread.</summary>
    public static long RtTgsigqueueinfo(Task t, in SyscallArguments a)
    {
        int tgid = a.Int(0), tid = a.Int(1), sig = a.Int(2);
        if (t.ReadStruct(a.A3, out SigInfo info) < 0) return -Errno.EFAULT;
        if (tgid <= 0 || tid <= 0 || sig < 0 || sig > SignalHandlers.MaxSignal) return -Errno.EINVAL;
        var target = t.Kernel.Pids.TaskById(tid);
        if (target is null || target.ThreadGroup.Tgid != tgid) return -Errno.ESRCH;
        if (target.ThreadGroup != t.ThreadGroup && (info.Code >= 0 || info.Code == -6)) return -Errno.EPERM;
        if (!SignalPermission.MayKill(t, target.ThreadGroup, sig)) return -Errno.EPERM;
        info.Signo = sig;
        if (sig == 0) return 0;
        if (sig == Libc.SIGKILL) return t.Kernel.SendGroupSignal(target.ThreadGroup, in info, fromHost: false);
        return target.SendSignal(in info);
    }

    public const int SS_ONSTACK = 1, SS_DISABLE = 2;

    public static long Sigaltstack(Task t, in SyscallArguments a)
    {
        Span<ulong> old = stackalloc ulong[3];
        bool onStack = t.AltStackFlags == 0 && t.Regs.Rsp > t.AltStackSp && t.Regs.Rsp <= t.AltStackSp + t.AltStackSize;
        old[0] = t.AltStackSp;
        old[1] = (ulong)(onStack ? SS_ONSTACK : t.AltStackFlags);
        old[2] = t.AltStackSize;
        if (a.A0 != 0)
        {
            if (onStack) return -Errno.EPERM;
            Span<ulong> ss = stackalloc ulong[3];
            if (t.CopyIn(a.A0, System.Runtime.InteropServices.MemoryMarshal.AsBytes(ss)) < 0) return -Errno.EFAULT;
            int flags = (int)ss[1];
            if ((flags & ~(SS_DISABLE | unchecked((int)0x80000000))) != 0) return -Errno.EINVAL;
            if ((flags & SS_DISABLE) != 0)
            {
                t.AltStackFlags = SS_DISABLE;
                t.AltStackSp = t.AltStackSize = 0;
            }
            else
            {
                if (ss[2] < 2048) return -Errno.ENOMEM;
                t.AltStackSp = ss[0];
                t.AltStackSize = ss[2];
                t.AltStackFlags = 0;
            }
        }
        if (a.A1 != 0 && t.CopyOut(a.A1, System.Runtime.InteropServices.MemoryMarshal.AsBytes(old)) < 0) return -Errno.EFAULT;
        return 0;
    }

    public static long RtSigtimedwait(Task t, in SyscallArguments a)
    {
        if (a.A3 != 8) return -Errno.EINVAL;
        if (t.ReadStruct(a.A0, out ulong set) < 0) return -Errno.EFAULT;
        long deadline = long.MaxValue;
        if (a.A2 != 0)
        {
            int tr = Time.SysTimers.ReadTimespec(t, a.A2, out long ns);
            if (tr < 0) return tr;
            deadline = ns >= long.MaxValue - MonotonicClock.NowNs() ? long.MaxValue : MonotonicClock.NowNs() + ns;
        }
        while (true)
        {
            ulong take = set & ~Unblockable;
            if (t.Pending.TryDequeue(~take, out SigInfo info) || t.ThreadGroup.SharedPending.TryDequeue(~take, out info))
            {
                if (a.A1 != 0 && t.WriteStruct(a.A1, info) < 0) return -Errno.EFAULT;
                return info.Signo;
            }
            int r = t.BlockUntil(deadline);
            if (r == -Errno.ETIMEDOUT) return -Errno.EAGAIN;
            if (r < 0)
            {
                // Interrupted: if one of the awaited signals is pending, loop to take it.
                if (((t.Pending.Set | t.ThreadGroup.SharedPending.Set) & take) != 0) continue;
                return -Errno.EINTR;
            }
        }
    }
}
