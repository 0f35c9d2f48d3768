using Csrunsc.Native;

namespace Csrunsc.Sentry.Kernel;

/// <summary>Process-directed signals: kill(2), the host's signals, SIGCHLD to parents.</summary>
public sealed partial class Kernel
{
    /// <summary>
    /// Whether a signal would be discarded at generation: ignored disposition, a default action of
    /// "ignore", or init's protection. A signal the target thread blocks is never discarded (its
    /// disposition may change before it is unblocked, and sigtimedwait may take it), as sig_ignored.
    /// </summary>
    public bool SignalIgnored(ThreadGroup tg, int sig, bool fromHost, ulong blocked = 0)
    {
        // Init of a pid namespace: from inside, only signals it handles; from the host (an
        // ancestor namespace) also SIGKILL and SIGSTOP, which are forced. As on Linux.
        bool forced = fromHost && sig is Libc.SIGKILL or Libc.SIGSTOP;
        if (sig == Libc.SIGKILL) return tg == Init && !forced;
        // A traced process sees every signal at its signal-delivery-stop, ignored ones too, init
        // included (sig_ignored's t->ptrace test comes before SIGNAL_UNKILLABLE's): PTRACE_ATTACH's
        // SIGSTOP stops a traced init; what the tracer lets through, init then drops at delivery.
        if (Task.AnyTraced(tg)) return false;
        // A blocked signal is never discarded at generation: the disposition may change before it
        // is unblocked, and sigtimedwait/signalfd take it (sig_ignored). Init drops it at delivery.
        if ((blocked & Task.Bit(sig)) != 0) return false;
        var act = tg.Handlers.Actions[sig];
        if (act.Handler == SigAction.SIG_IGN) return true;
        if (act.Handler == SigAction.SIG_DFL)
        {
            if (Task.DefaultIgnored(sig)) return true;
            if (tg == Init && !forced) return true;
        }
        return false;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<uint, SigpendingCount> _sigpending = new();

    /// <summary>The RLIMIT_SIGPENDING count signals queued to tg are charged to: its real uid's.</summary>
    public SigpendingCount SigpendingOf(ThreadGroup tg) => _sigpending.GetOrAdd(tg.Creds.Uid, static _ => new SigpendingCount());

    /// <summary>Sends a signal to a whole thread group. Returns 0, or -errno.</summary>
    public int SendGroupSignal(ThreadGroup tg, in SigInfo info, bool fromHost, ISignalSource? source = null)
    {
        if (info.Signo == 0) return tg.Zombie ? -Errno.ESRCH : 0;
        if (info.Signo == Libc.SIGKILL && !tg.Zombie && !SignalIgnored(tg, Libc.SIGKILL, fromHost))
        {
            // SIGKILL ends ptrace stops at once, PTRACE_EVENT_EXIT's of an exiting group too.
            foreach (var t in tg.TasksSnapshot())
                if (t.Tracer is not null) t.PtraceKill();
        }
        if (tg.Zombie || tg.GroupExitStatus is not null) return 0;
        int sig = info.Signo;
        PrepareSignal(tg, sig);
        var tasks = tg.TasksSnapshot();
        if (SignalIgnored(tg, sig, fromHost, tasks.Length > 0 ? tasks[0].SignalMask : 0)) return 0;
        if (sig == Libc.SIGKILL || IsFatalToGroup(tg, sig, tasks))
        {
            // complete_signal: a fatal signal no handler can see kills the group at once, even stopped.
            lock (tg) tg.GroupExitStatus ??= sig;
            foreach (var t in tasks)
            {
                t.Exiting = true;
                t.Interrupt();
            }
            WakeStopped(tg);
            return 0;
        }
        var added = tg.SharedPending.Add(in info, source, SigpendingOf(tg), Rlimits.Cur(tg, Rlimits.SIGPENDING));
        if (added == PendingSignals.AddResult.Overflow) return -Errno.EAGAIN;
        if (added == PendingSignals.AddResult.AlreadyPending) return 0;
        tg.SignalQueued.Notify(PollEvents.In);
        // Wake a thread that does not block it (all of them: each re-checks; cheap and simple).
        foreach (var t in tasks)
        {
            if ((t.SignalMask & Task.Bit(sig)) == 0) t.Interrupt();
            else t.Wake(); // sigtimedwait and friends wait for blocked signals
        }
        return 0;
    }

    /// <summary>
    /// A default action of plain termination (no core dump), and some running thread does not
    /// block it: the whole group dies without waiting for a thread to dequeue it.
    /// </summary>
    private static bool IsFatalToGroup(ThreadGroup tg, int sig, Task[] tasks)
    {
        if (tg.Handlers.Actions[sig].Handler != SigAction.SIG_DFL) return false;
        if (Task.DefaultIgnored(sig) || Task.IsStopSignal(sig) || Task.DefaultCoreDumps(sig)) return false;
        // A traced group dies only once the tracer has seen the signal (complete_signal's !p->ptrace).
        if (Task.AnyTraced(tg)) return false;
        // A stopped thread does not take signals (wants_signal): SIGTERM waits for SIGCONT.
        if (tg.Stopped) return false;
        foreach (var t in tasks)
            if ((t.SignalMask & Task.Bit(sig)) == 0) return true;
        return false;
    }

    /// <summary>A signal from the host (the runtime, the user's Ctrl-C) to the container's init.</summary>
    public void SignalInitFromHost(int sig)
    {
        var init = Init;
        if (init is null) return;
        SendGroupSignal(init, new SigInfo { Signo = sig, Code = 0 /* SI_USER */, Pid = 0 }, fromHost: true);
    }

    /// <summary>kill(-1, sig): every process but init and the sender; those it may not signal are skipped.</summary>
    public int SignalAll(Task sender, in SigInfo info)
    {
        int count = 0;
        foreach (var g in Pids.Groups())
        {
            if (g == Init || g == sender.ThreadGroup || g.Zombie) continue;
            count++;
            if (SignalPermission.MayKill(sender, g, info.Signo)) SendGroupSignal(g, in info, fromHost: false);
        }
        return count > 0 ? 0 : -Errno.ESRCH;
    }

    /// <summary>kill(-pgid, sig): 0 if any member was signalled, EPERM if none might be, ESRCH if none exists.</summary>
    public int SignalProcessGroup(int pgid, in SigInfo info, Task? sender = null)
    {
        int count = 0, sent = 0;
        foreach (var g in Pids.Groups())
        {
            if (g.Pgid != pgid || g.Zombie) continue;
            count++;
            if (sender is not null && !SignalPermission.MayKill(sender, g, info.Signo)) continue;
            if (info.Signo != 0) SendGroupSignal(g, in info, fromHost: false);
            sent++;
        }
        return count == 0 ? -Errno.ESRCH : sent > 0 ? 0 : -Errno.EPERM;
    }
}
