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
        bool last = tg.RemoveTask(this);
        if (!last) return;

        int status = tg.GroupExitStatus ?? _exitStatus;
        Fds.CloseAll();
        ThreadGroupExited(tg, status);
    }

    /// <summary>The last thread is gone: orphans go to init, the parent is told, init's exit ends the sandbox.</summary>
    private static void ThreadGroupExited(ThreadGroup tg, int status)
    {
        var kernel = tg.Kernel;
        var init = kernel.Init;
        // A session leader's exit hangs up its controlling terminal's foreground group (disassociate_ctty(1)).
        if (tg.IsSessionLeader && tg.Tty is { } tty) tty.SessionLeaderExited(tg);
        if (tg == init)
        {
            kernel.InitExitStatus = status;
            // Everything else in the pid namespace dies with init.
            foreach (var g in kernel.Pids.Groups())
                if (g != tg) kernel.SendGroupSignal(g, new SigInfo { Signo = Libc.SIGKILL }, fromHost: true);
        }
        ThreadGroup[] orphans;
        lock (tg) orphans = tg.Children.ToArray();
        if (orphans.Length > 0 && init is not null && tg != init)
        {
            foreach (var c in orphans)
            {
                c.Parent = init;
                lock (init) init.Children.Add(c);
            }
            lock (tg) tg.Children.Clear();
            init.ChildEvents.Notify();
        }

        var parent = tg.Parent;
        bool autoReap = parent is null;
        if (parent is not null)
        {
            var chld = parent.Handlers.Actions[Libc.SIGCHLD];
            if (tg.ExitSignal == Libc.SIGCHLD && (chld.Handler == SigAction.SIG_IGN || (chld.Flags & SigAction.SA_NOCLDWAIT) != 0))
                autoReap = true;
        }
        lock (tg)
        {
            tg.ExitStatus = status;
            tg.Zombie = true;
        }
        if (autoReap && parent is not null)
        {
            lock (parent) parent.Children.Remove(tg);
            kernel.Pids.RemoveGroup(tg);
        }
        else if (parent is not null)
        {
            if (tg.ExitSignal > 0)
            {
                int code = Libc.WIfExited(status) ? 1 /*CLD_EXITED*/ : ((status & 0x80) != 0 ? 3 /*CLD_DUMPED*/ : 2 /*CLD_KILLED*/);
                kernel.SendGroupSignal(parent, new SigInfo
                {
                    Signo = tg.ExitSignal, Code = code, Pid = tg.Tgid, Uid = (int)tg.Creds.Uid,
                    Status = Libc.WIfExited(status) ? Libc.WExitStatus(status) : Libc.WTermSig(status),
                }, fromHost: false);
            }
            parent.ChildEvents.Notify();
        }
        else
        {
            kernel.Pids.RemoveGroup(tg);
        }
        tg.ExitObserver?.Invoke(status);
        if (tg == init) kernel.InitExited.Set();
    }
}
