using Csrunsc.Native;

namespace Csrunsc.Sentry.Kernel;

/// <summary>Job control at signal generation, parent notification, orphaned process groups, reapers.</summary>
public sealed partial class Kernel
{
    private static readonly ulong StopSignals =
        PendingSignals.Bit(Libc.SIGSTOP) | PendingSignals.Bit(Libc.SIGTSTP) | PendingSignals.Bit(Libc.SIGTTIN) | PendingSignals.Bit(Libc.SIGTTOU);

    /// <summary>
    /// What generating sig does before anything else (prepare_signal): a stop signal discards a
    /// pending SIGCONT; SIGCONT discards pending stop signals and resumes a stopped group — even
    /// when SIGCONT itself is blocked or ignored.
    /// </summary>
    internal void PrepareSignal(ThreadGroup tg, int sig)
    {
        if (Task.IsStopSignal(sig))
        {
            tg.SharedPending.Remove(Libc.SIGCONT);
            foreach (var t in tg.TasksSnapshot()) t.Pending.Remove(Libc.SIGCONT);
        }
        else if (sig == Libc.SIGCONT)
        {
            tg.SharedPending.RemoveMask(StopSignals);
            foreach (var t in tg.TasksSnapshot()) t.Pending.RemoveMask(StopSignals);
            bool report = false;
            lock (tg)
            {
                if (tg.Stopped)
                {
                    report = true;
                    tg.ContinueUnreported = true;
                    tg.StopUnreported = false;
                }
                tg.Stopped = tg.StopPending = false;
                tg.StopsDone = 0;
                Monitor.PulseAll(tg);
            }
            if (report) NotifyParentJobControl(tg, Task.CLD_CONTINUED, Libc.SIGCONT);
            Task.PtraceGroupContinued(tg);
        }
    }

    /// <summary>Once every live thread has counted in, the group is stopped and the parent told.</summary>
    internal void CompleteGroupStop(ThreadGroup tg)
    {
        lock (tg)
        {
            if (!tg.StopPending) return;
            int live = 0;
            foreach (var t in tg.Tasks)
                if (!t.Exiting) live++;
            if (tg.StopsDone < live) return;
            tg.StopPending = false;
            tg.Stopped = true;
            tg.StopUnreported = true;
            tg.ContinueUnreported = false;
        }
        NotifyParentJobControl(tg, Task.CLD_STOPPED, tg.StopSignal);
    }

    /// <summary>Wakes the stopped threads of a group that is being killed.</summary>
    internal static void WakeStopped(ThreadGroup tg)
    {
        lock (tg) Monitor.PulseAll(tg);
    }

    /// <summary>CLD_STOPPED/CLD_CONTINUED: SIGCHLD to the parent unless its SIGCHLD has SA_NOCLDSTOP; waiters wake.</summary>
    private void NotifyParentJobControl(ThreadGroup tg, int code, int status)
    {
        var parent = tg.Parent;
        if (parent is null) return;
        if ((parent.Handlers.Actions[Libc.SIGCHLD].Flags & SigAction.SA_NOCLDSTOP) == 0)
        {
            SendGroupSignal(parent, new SigInfo
            {
                Signo = Libc.SIGCHLD, Code = code, Pid = tg.Tgid, Uid = (int)tg.Creds.Uid, Status = status,
            }, fromHost: false);
        }
        parent.ChildEvents.Notify();
    }

    /// <summary>
    /// Whether process group pgid is (or, without ignore, becomes) orphaned: no member has a
    /// parent in another group of the same session (will_become_orphaned_pgrp).
    /// </summary>
    public bool IsOrphanedProcessGroup(int pgid, ThreadGroup? ignore)
    {
        foreach (var g in Pids.Groups())
        {
            if (g.Pgid != pgid || g == ignore || g.Zombie) continue;
            var p = g.Parent;
            if (p is null || p.Zombie) continue;
            if (p.Pgid != pgid && p.Sid == g.Sid) return false;
        }
        return true;
    }

    private bool HasStoppedJobs(int pgid)
    {
        foreach (var g in Pids.Groups())
            if (g.Pgid == pgid && g.Stopped) return true;
        return false;
    }

    /// <summary>A process group just orphaned with stopped members gets SIGHUP then SIGCONT (kill_orphaned_pgrp).</summary>
    internal void KillOrphanedProcessGroup(ThreadGroup member, ThreadGroup parent, ThreadGroup? ignore)
    {
        if (parent.Pgid == member.Pgid || parent.Sid != member.Sid) return;
        if (!IsOrphanedProcessGroup(member.Pgid, ignore) || !HasStoppedJobs(member.Pgid)) return;
        var info = new SigInfo { Signo = Libc.SIGHUP, Code = 0x80 /* SI_KERNEL */ };
        SignalProcessGroup(member.Pgid, in info);
        info.Signo = Libc.SIGCONT;
        SignalProcessGroup(member.Pgid, in info);
    }

    /// <summary>
    /// Where the children of an exiting process go (find_new_reaper): the nearest ancestor that
    /// set PR_SET_CHILD_SUBREAPER and still lives, else the pid namespace's init.
    /// </summary>
    internal ThreadGroup? FindNewReaper(ThreadGroup father)
    {
        for (var r = father.Parent; r is not null && r != Init; r = r.Parent)
        {
            if (!r.IsChildSubreaper || r.Zombie || r.GroupExitStatus is not null) continue;
            lock (r)
                if (r.Tasks.Count > 0) return r;
        }
        return Init;
    }
}
