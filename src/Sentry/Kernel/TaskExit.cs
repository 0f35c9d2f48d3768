using Csrunsc.Native;

namespace Csrunsc.Sentry.Kernel;

/// <summary>exit, exit_group, fatal signals, zombies and reaping.</summary>
public sealed partial class Task
{
    /// <summary>The wait status this thread exits with when it is the last one (exit(2) of the last thread).</summary>
    private int _exitStatus;

    /// <summary>vfork parents sleep on this until the child execs or exits.</summary>
    internal ManualResetEventSlim? VforkDone;

    /// <summary>exit(2): this thread only; the wait status is (code &amp; 0xff) &lt;&lt; 8.</summary>
    public void ExitThread(int code)
    {
        _exitStatus = (code & 0xff) << 8;
        Exiting = true;
    }

    /// <summary>exit_group or a fatal signal: every thread of the group exits with waitStatus.</summary>
    public void ExitGroup(int waitStatus)
    {
        var tg = ThreadGroup;
        lock (tg)
        {
            tg.GroupExitStatus ??= waitStatus;
        }
        Exiting = true;
        foreach (var t in tg.TasksSnapshot())
        {
            if (t == this) continue;
            t.Exiting = true;
            t.Interrupt();
        }
    }

    /// <summary>On the task's thread, after its run loop: tears down its context and, if last, the process.</summary>
    private void FinishExit()
    {
        var tg = ThreadGroup;
        var kernel = Kernel;
        // PTRACE_EVENT_EXIT: the tracer sees the task before anything is torn down (message: the wait
        // status), also when SIGKILL killed it: get_signal takes the SIGKILL that starts a group exit
        // off the pending set (and the kill that ended an earlier stop is spent), so only a SIGKILL
        // sent during this stop ends it.
        if (Tracer is not null && Context is not null)
        {
            Pending.Remove(Libc.SIGKILL);
            PtraceKilled = false;
            PtraceEvent(Ptrace.PtraceAbi.EVENT_EXIT, (ulong)(tg.GroupExitStatus ?? _exitStatus));
        }
        // CLONE_CHILD_CLEARTID: zero the tid word and wake a futex waiter (pthread_join).
        if (ClearChildTid != 0 && Mm.Users > 1)
        {
            WriteStruct(ClearChildTid, 0);
            kernel.Futexes.Wake(Mm, ClearChildTid, 1);
        }
        bool lastUser = Mm.RemoveUser();
        Context?.Release(lastUser);
        Context = null;
        VforkDone?.Set();
        kernel.Pids.RemoveTask(this);
        FreezeCpuAccounting();
        bool last = tg.RemoveTask(this);
        if (Tracer is not null) PtraceExited(last, tg.GroupExitStatus ?? _exitStatus);
        if (!last)
        {
            ForgetOriginalParentThread();
            Fds.RemoveUser();
            // A group stop may have been waiting only for this thread.
            if (tg.StopPending) kernel.CompleteGroupStop(tg);
            return;
        }

        int status = tg.GroupExitStatus ?? _exitStatus;
        if (kernel.Events.Strace) kernel.Events.Tracer!.Exited(tg.Tgid, status);
        Fds.RemoveUser();
        // exit_sem(): the process's SEM_UNDO adjustments are applied once its last thread is gone.
        tg.SemUndo?.Release(tg.Tgid);
        tg.SemUndo = null;
        ThreadGroupExited(tg, status);
    }

    /// <summary>
    /// The last thread is gone: children go to the nearest subreaper or init (with their
    /// parent-death signals), orphaned stopped groups get SIGHUP+SIGCONT, the parent is told,
    /// init's exit ends the sandbox.
    /// </summary>
    private static void ThreadGroupExited(ThreadGroup tg, int status)
    {
        var kernel = tg.Kernel;
        var init = kernel.Init;
        // A session leader's exit hangs up its controlling terminal's foreground group (disassociate_ctty(1)).
        if (tg.IsSessionLeader && tg.Tty is { } tty) tty.SessionLeaderExited(tg);
        PtraceTracerExited(tg);
        tg.ITimers.DisarmAll();
        tg.CpuLimit?.Disarm();
        tg.PosixTimers.DeleteAll();
        if (tg == init)
        {
            kernel.InitExitStatus = status;
            // Everything else in the pid namespace dies with init.
            foreach (var g in kernel.Pids.Groups())
                if (g != tg) kernel.SendGroupSignal(g, new SigInfo { Signo = Libc.SIGKILL }, fromHost: true);
        }
        lock (tg)
        {
            tg.Stopped = tg.StopPending = false;
            tg.StopUnreported = tg.ContinueUnreported = false;
        }
        ThreadGroup[] orphans;
        lock (tg) orphans = tg.Children.ToArray();
        if (orphans.Length > 0 && tg != init && kernel.FindNewReaper(tg) is { } reaper)
        {
            lock (tg) tg.Children.Clear();
            var reaperTask = LiveTask(reaper);
            foreach (var c in orphans)
            {
                lock (c) c.Parent = reaper;
                lock (reaper)
                {
                    reaper.Children.Add(c);
                    c.ParentTask = reaperTask;
                }
            }
            foreach (var c in orphans)
            {
                // reparent_leader: the new parent hears SIGCHLD from now on, and about a child already dead.
                c.ExitSignal = Libc.SIGCHLD;
                SendParentDeathSignals(c, tg);
                if (c.Zombie && NotifyParentOfExit(c, reaper, c.ExitStatus))
                {
                    lock (reaper) reaper.Children.Remove(c);
                    kernel.Pids.RemoveGroup(c);
                }
                kernel.KillOrphanedProcessGroup(c, tg, null);
            }
            reaper.ChildEvents.Notify();
        }

        var parent = tg.Parent;
        if (parent is not null && tg != init) kernel.KillOrphanedProcessGroup(tg, parent, tg);
        lock (tg)
        {
            tg.ExitStatus = status;
            tg.Zombie = true;
        }
        if (parent is null)
        {
            kernel.Pids.RemoveGroup(tg);
        }
        else if (NotifyParentOfExit(tg, parent, status))
        {
            lock (parent) parent.Children.Remove(tg);
            kernel.Pids.RemoveGroup(tg);
        }
        tg.ExitEvents.Notify(PollEvents.In | PollEvents.Hup);
        tg.ExitObserver?.Invoke(status);
        if (tg == init) kernel.InitExited.Set();
    }

    /// <summary>
    /// forget_original_parent for a thread that exits while its process lives on: the processes it
    /// forked go to a live sibling thread (same parent process, getppid unchanged), and each of their
    /// threads' PR_SET_PDEATHSIG fires — the "parent" of pdeath is the forking thread. With no live
    /// sibling the process is dying and its last thread hands every child to a reaper.
    /// </summary>
    private void ForgetOriginalParentThread()
    {
        var tg = ThreadGroup;
        List<ThreadGroup>? moved = null;
        lock (tg)
        {
            var heir = LiveTask(tg);
            if (heir is null) return;
            foreach (var c in tg.Children)
            {
                if (c.ParentTask != this) continue;
                c.ParentTask = heir;
                (moved ??= new()).Add(c);
            }
        }
        if (moved is null) return;
        foreach (var c in moved) SendParentDeathSignals(c, tg);
    }

    /// <summary>A thread of the group that is not exiting (find_alive_thread), or null.</summary>
    private static Task? LiveTask(ThreadGroup g)
    {
        lock (g)
        {
            foreach (var t in g.Tasks)
                if (!t.Exiting) return t;
        }
        return null;
    }

    /// <summary>Each thread of child with a parent-death signal sends it to its process (SEND_SIG_NOINFO from the exiting parent).</summary>
    private static void SendParentDeathSignals(ThreadGroup child, ThreadGroup father)
    {
        foreach (var t in child.TasksSnapshot())
        {
            int sig = t.ParentDeathSignal;
            if (sig != 0)
                child.Kernel.SendGroupSignal(child, new SigInfo { Signo = sig, Code = 0, Pid = father.Tgid, Uid = (int)father.Creds.Uid }, fromHost: false);
        }
    }

    /// <summary>
    /// do_notify_parent: SIGCHLD (or the clone's exit signal) with CLD_EXITED/KILLED/DUMPED and a
    /// wake-up of waiters. True when the child is reaped at once: the parent ignores SIGCHLD or set
    /// SA_NOCLDWAIT.
    /// </summary>
    private static bool NotifyParentOfExit(ThreadGroup tg, ThreadGroup parent, int status)
    {
        var chld = parent.Handlers.Actions[Libc.SIGCHLD];
        bool autoReap = tg.ExitSignal == Libc.SIGCHLD && (chld.Handler == SigAction.SIG_IGN || (chld.Flags & SigAction.SA_NOCLDWAIT) != 0);
        if (tg.ExitSignal > 0) // dropped at generation when the parent ignores SIGCHLD
        {
            tg.Kernel.SendGroupSignal(parent, new SigInfo
            {
                Signo = tg.ExitSignal, Code = ChildCode(status), Pid = tg.Tgid, Uid = (int)tg.Creds.Uid,
                Status = Libc.WIfExited(status) ? Libc.WExitStatus(status) : Libc.WTermSig(status),
            }, fromHost: false);
        }
        parent.ChildEvents.Notify();
        return autoReap;
    }

    /// <summary>siginfo's si_code for a child's wait status: CLD_EXITED, CLD_KILLED or CLD_DUMPED.</summary>
    public static int ChildCode(int status) =>
        Libc.WIfExited(status) ? CLD_EXITED : ((status & 0x80) != 0 ? CLD_DUMPED : CLD_KILLED);
}
