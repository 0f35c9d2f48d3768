using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Process;

/// <summary>getrlimit, setrlimit, prlimit64 (the limits and their enforcement: Kernel/Rlimits.cs).</summary>
internal static class SysRlimit
{
    public static long Prlimit64(Task t, in SyscallArguments a) => DoPrlimit(t, a.Int(0), a.Int(1), a.A2, a.A3);

    public static long GetRlimit(Task t, in SyscallArguments a) => DoPrlimit(t, 0, a.Int(0), 0, a.A1);

    public static long SetRlimit(Task t, in SyscallArguments a) => DoPrlimit(t, 0, a.Int(0), a.A1, 0);

    private static long DoPrlimit(Task t, int pid, int res, ulong newAddr, ulong oldAddr)
    {
        (ulong Cur, ulong Max) nl = default;
        if (newAddr != 0 && t.ReadStruct(newAddr, out nl) < 0) return -Errno.EFAULT;
        if ((uint)res >= Rlimits.Count) return -Errno.EINVAL;
        if (newAddr != 0)
        {
            if (nl.Cur > nl.Max) return -Errno.EINVAL;
            if (res == Rlimits.NOFILE && nl.Max > Rlimits.NrOpen) return -Errno.EPERM;
        }
        ThreadGroup? g = pid == 0 ? t.ThreadGroup : t.Kernel.Pids.TaskById(pid)?.ThreadGroup;
        if (g is null || g.Zombie) return -Errno.ESRCH;
        if ((newAddr != 0 || oldAddr != 0) && !Rlimits.MayAccess(t, g)) return -Errno.EPERM;
        var old = Rlimits.Get(g, res);
        if (newAddr != 0)
        {
            int r = Rlimits.Set(t, g, res, nl, out old);
            if (r < 0) return r;
        }
        if (oldAddr != 0 && t.WriteStruct(oldAddr, old) < 0) return -Errno.EFAULT;
        return 0;
    }
}
