using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Process;

/// <summary>
/// getpriority/setpriority on the per-thread nice value (-20..19), with the kernel's raw answer:
/// getpriority returns 20 - nice of the highest-priority match. Scheduling itself is the host's.
/// </summary>
internal static class SysPriority
{
    public const int PRIO_PROCESS = 0, PRIO_PGRP = 1, PRIO_USER = 2;

    public static long GetPriority(Task t, in SyscallArguments a)
    {
        int which = a.Int(0), who = a.Int(1);
        if ((uint)which > PRIO_USER) return -Errno.EINVAL;
        long best = -Errno.ESRCH;
        foreach (var task in Targets(t, which, who))
        {
            long v = 20 - task.Nice;
            if (v > best) best = v;
        }
        return best;
    }

    public static long SetPriority(Task t, in SyscallArguments a)
    {
        int which = a.Int(0), who = a.Int(1), nice = Math.Clamp(a.Int(2), -20, 19);
        if ((uint)which > PRIO_USER) return -Errno.EINVAL;
        long error = -Errno.ESRCH;
        var me = t.ThreadGroup.Creds;
        foreach (var task in Targets(t, which, who))
        {
            var pc = task.ThreadGroup.Creds;
            if (pc.Uid != me.Euid && pc.Euid != me.Euid && !Capabilities.Has(t, Capabilities.SYS_NICE))
            {
                error = -Errno.EPERM;
                continue;
            }
            // can_nice: 20 - nice must be within the target's RLIMIT_NICE, or CAP_SYS_NICE.
            if (nice < task.Nice && (ulong)(20 - nice) > Rlimits.Cur(task.ThreadGroup, Rlimits.NICE) && !Capabilities.Has(t, Capabilities.SYS_NICE))
            {
                error = -Errno.EACCES;
                continue;
            }
            if (error == -Errno.ESRCH) error = 0;
            task.Nice = nice;
        }
        return error;
    }

    /// <summary>The threads a (which, who) pair names, as Linux walks them.</summary>
    private static List<Task> Targets(Task t, int which, int who)
    {
        var list = new List<Task>();
        var pids = t.Kernel.Pids;
        switch (which)
        {
            case PRIO_PROCESS:
            {
                // A zombie keeps its pid until reaped: its leader still answers.
                var task = who == 0 ? t : pids.TaskById(who) ?? pids.GroupById(who)?.Leader;
                if (task is not null) list.Add(task);
                break;
            }
            case PRIO_PGRP:
            {
                int pgid = who == 0 ? t.ThreadGroup.Pgid : who;
                foreach (var g in pids.Groups())
                    if (g.Pgid == pgid) list.AddRange(g.Zombie ? [g.Leader] : g.TasksSnapshot());
                break;
            }
            default:
            {
                uint uid = who == 0 ? t.ThreadGroup.Creds.Uid : (uint)who;
                foreach (var g in pids.Groups())
                    if (g.Creds.Uid == uid) list.AddRange(g.Zombie ? [g.Leader] : g.TasksSnapshot());
                break;
            }
        }
        return list;
    }
}
