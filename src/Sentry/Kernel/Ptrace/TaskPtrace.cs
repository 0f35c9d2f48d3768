using Csrunsc.Native;
using Csrunsc.Sentry.Kernel.Ptrace;

namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// Guest ptrace, emulated by the Sentry (gVisor's kernel/ptrace.go): the tracer/tracee relation.
/// The tracer is a process (its ThreadGroup): any of its threads may wait for and command its
/// tracees (Linux ties the relation to the attaching thread). All ptrace state is under
/// Kernel.PtraceLock; the tracee's own thread runs its stops (TaskPtraceStops.cs), the tracer's
/// thread reads and writes a stopped tracee's registers and memory (TaskPtraceRequests.cs).
/// </summary>
public sealed partial class Task
{
    /// <summary>The tracing process, null when not traced (stays set on an exited tracee until the tracer waits for it).</summary>
    public ThreadGroup? Tracer { get; internal set; }

    internal int PtraceOptions;

    /// <summary>
    /// ptracer_capable: the credentials that made the relation (the attaching tracer's, the tracee's
    /// own for TRACEME, inherited by auto-attached children) held CAP_SYS_PTRACE. Without it a
    /// set-id or capability-gaining execve does not raise the tracee's ids or capabilities.
    /// </summary>
    internal bool PtracerCapable;

    /// <summary>Attached with PTRACE_SEIZE (or inherited from a seized parent): no SIGSTOP, EVENT_STOP traps, LISTEN.</summary>
    internal bool PtraceSeized;

    /// <summary>How the tracer last resumed this task.</summary>
    internal PtraceResume PtraceResumeMode;

    /// <summary>PTRACE_INTERRUPT, or the first stop of a seized new child: a PTRACE_EVENT_STOP trap at the next chance.</summary>
    internal volatile bool PtraceTrapPending;

    /// <summary>A SIGKILL arrived: any ptrace stop (even PTRACE_EVENT_EXIT's) ends at once.</summary>
    internal volatile bool PtraceKilled;

    /// <summary>A traced task that has exited, waiting for its tracer to collect this wait status.</summary>
    internal int? PtraceExitStatus;

    /// <summary>A leader killed by a non-leader's exec (de_thread): its exit is never reported to a tracer.</summary>
    internal volatile bool ReplacedByExec;

    private static bool SameCredsForPtrace(Credentials a, Credentials b) =>
        a.Uid == b.Uid && a.Uid == b.Euid && a.Uid == b.Suid && a.Gid == b.Gid && a.Gid == b.Egid && a.Gid == b.Sgid;

    /// <summary>
    /// __ptrace_may_access with PTRACE_MODE_ATTACH_REALCREDS, plus Yama's scope 1 (a tracee must be a
    /// descendant, or have named the tracer with PR_SET_PTRACER, as LeakSanitizer's tracer is): the caller's real ids match all of the target's, the target is dumpable, or the
    /// caller has CAP_SYS_PTRACE. 0 or -EPERM. Also process_vm_readv/writev's check.
    /// </summary>
    internal int PtraceMayAccess(Task target)
    {
        if (target.ThreadGroup == ThreadGroup) return 0;
        if (Capabilities.Has(this, Capabilities.SYS_PTRACE)) return 0;
        var me = ThreadGroup.Creds;
        if (!SameCredsForPtrace(me, target.ThreadGroup.Creds)) return -Errno.EPERM;
        if (target.ThreadGroup.Dumpable == 0) return -Errno.EPERM;
        if (IsDescendant(target.ThreadGroup, of: ThreadGroup)) return 0;
        // Yama's ptracer_exception_found: we trace it already (for /proc/PID/mem, process_vm_*),
        // or the target named us, or an ancestor of ours, with PR_SET_PTRACER.
        if (target.Tracer == ThreadGroup) return 0;
        var declared = target.ThreadGroup.DeclaredPtracer;
        if (target.ThreadGroup.AnyPtracer || (declared is not null && !declared.Exiting && IsDescendant(ThreadGroup, of: declared.ThreadGroup))) return 0;
        return -Errno.EPERM;
    }

    /// <summary>Yama's task_is_descendant: g is the process of or one of its descendants.</summary>
    private static bool IsDescendant(ThreadGroup g, ThreadGroup of)
    {
        for (var p = g; p is not null; p = p.Parent)
            if (p == of) return true;
        return false;
    }

    /// <summary>PTRACE_TRACEME: the parent becomes the tracer (no stop now; the next signal or exec stops).</summary>
    internal int PtraceTraceMe()
    {
        var parent = ThreadGroup.Parent;
        if (parent is null || parent.Zombie) return -Errno.EPERM;
        lock (Kernel.PtraceLock)
        {
            if (Tracer is not null) return -Errno.EPERM;
            Link(parent, seized: false, options: 0, Capabilities.Has(this, Capabilities.SYS_PTRACE));
        }
        return 0;
    }

    /// <summary>PTRACE_ATTACH (a SIGSTOP follows) or PTRACE_SEIZE (options set, no stop) by this task.</summary>
    internal int PtraceAttach(Task target, bool seize, int options)
    {
        if (target.ThreadGroup == ThreadGroup) return -Errno.EPERM;
        if (target.Exiting || target.ThreadGroup.GroupExitStatus is not null) return -Errno.EPERM;
        int r = PtraceMayAccess(target);
        if (r < 0) return r;
        lock (Kernel.PtraceLock)
        {
            if (target.Tracer is not null) return -Errno.EPERM;
            target.Link(ThreadGroup, seize, options, Capabilities.Has(this, Capabilities.SYS_PTRACE));
        }
        if (!seize) target.SendSignal(new SigInfo { Signo = Libc.SIGSTOP, Code = 0x80 /* SI_KERNEL */ });
        // A task already in a group stop re-reports it to its tracer as a ptrace group-stop.
        if (target.ThreadGroup.Stopped) Kernel.WakeStopped(target.ThreadGroup);
        return 0;
    }

    /// <summary>Under PtraceLock: makes tracer trace this task.</summary>
    private void Link(ThreadGroup tracer, bool seized, int options, bool capable)
    {
        Tracer = tracer;
        PtracerCapable = capable;
        PtraceSeized = seized;
        PtraceOptions = options;
        PtraceResumeMode = PtraceResume.Cont;
        PtraceExitStatus = null;
        PtraceKilled = false;
        // A task attached inside a group stop re-traps into it as a ptrace group-stop (JOBCTL_TRAP_STOP).
        var tg = ThreadGroup;
        _ptraceGroupStopSeen = tg.Stopped || tg.StopPending ? tg.StopGeneration - 1 : tg.StopGeneration;
        tracer.Tracees.Add(this);
    }

    /// <summary>Under PtraceLock: ends the relation (the task runs on as before, untraced).</summary>
    private void Unlink()
    {
        Tracer?.Tracees.Remove(this);
        Tracer = null;
        PtraceOptions = 0;
        PtraceSeized = false;
        PtraceTrapPending = false;
        PtraceResumeMode = PtraceResume.Cont;
    }

    /// <summary>
    /// At clone: which PTRACE_EVENT the tracer asked to hear about for this kind of clone (0: none),
    /// and whether the child is traced too (the event's option, or CLONE_PTRACE; never CLONE_UNTRACED).
    /// </summary>
    internal int PtraceCloneEvent(ulong flags, out bool traceChild)
    {
        traceChild = false;
        var tracer = Tracer;
        if (tracer is null || (flags & CLONE_UNTRACED) != 0) return 0;
        int ev = (flags & CLONE_VFORK) != 0 ? PtraceAbi.EVENT_VFORK
            : (flags & 0xff) != (ulong)Libc.SIGCHLD ? PtraceAbi.EVENT_CLONE : PtraceAbi.EVENT_FORK;
        bool wanted = (PtraceOptions & PtraceAbi.OptionFor(ev)) != 0;
        traceChild = wanted || (flags & CLONE_PTRACE) != 0;
        return wanted ? ev : 0;
    }

    /// <summary>The new child (not yet started) gets this task's tracer: a SIGSTOP, or a trap if seized.</summary>
    internal void PtraceInheritTo(Task child)
    {
        lock (Kernel.PtraceLock)
        {
            var tracer = Tracer;
            if (tracer is null) return;
            child.Link(tracer, PtraceSeized, PtraceOptions, PtracerCapable);
            if (PtraceSeized) child.PtraceTrapPending = true;
        }
        if (!PtraceSeized) child.Pending.Add(new SigInfo { Signo = Libc.SIGSTOP, Code = 0x80 });
    }

    /// <summary>PTRACE_DETACH of a stopped tracee: untraced, resumed with sig (0: none).</summary>
    internal int PtraceDetach(Task tracee, int sig)
    {
        lock (Kernel.PtraceLock)
        {
            if (tracee.Tracer != ThreadGroup || !tracee._ptraceStopped) return -Errno.ESRCH;
            tracee.Unlink();
            tracee._ptraceResumeSignal = sig;
            tracee._ptraceStopped = false;
        }
        tracee.Wake();
        return 0;
    }

    /// <summary>SIGKILL for a traced task: its ptrace stops end now (PTRACE_EVENT_EXIT's too).</summary>
    internal void PtraceKill()
    {
        PtraceKilled = true;
        Wake();
    }

    /// <summary>
    /// On the exiting task's thread, once it has left its group (last: it was the last thread): its
    /// tracer is told, unless the tracer is also the parent of a process that just died (the
    /// parent's ordinary wait reports that). Returns nothing; the tracer's wait collects the status.
    /// </summary>
    private void PtraceExited(bool last, int status)
    {
        ThreadGroup? tracer;
        bool report;
        lock (Kernel.PtraceLock)
        {
            tracer = Tracer;
            if (tracer is null) return;
            _ptraceStopped = false;
            report = !(last && ThreadGroup.Parent == tracer) && !tracer.Zombie && !ReplacedByExec;
            if (report) PtraceExitStatus = status;
            else Unlink();
        }
        if (!report) return;
        var chld = tracer.Handlers.Actions[Libc.SIGCHLD];
        if (chld.Handler == SigAction.SIG_IGN || (chld.Flags & SigAction.SA_NOCLDWAIT) != 0)
        {
            // A tracer that ignores SIGCHLD reaps its tracees at once (as its children).
            lock (Kernel.PtraceLock) Unlink();
        }
        else
        {
            Kernel.SendGroupSignal(tracer, new SigInfo
            {
                Signo = Libc.SIGCHLD, Code = ChildCode(status), Pid = Tid, Uid = (int)ThreadGroup.Creds.Uid,
                Status = Libc.WIfExited(status) ? Libc.WExitStatus(status) : Libc.WTermSig(status),
            }, fromHost: false);
        }
        tracer.ChildEvents.Notify();
    }

    /// <summary>The tracing process died: its tracees go free (PTRACE_O_EXITKILL ones get SIGKILL), stopped ones resume.</summary>
    internal static void PtraceTracerExited(ThreadGroup tracer)
    {
        Task[] tracees;
        var kernel = tracer.Kernel;
        lock (kernel.PtraceLock) tracees = tracer.Tracees.ToArray();
        foreach (var t in tracees)
        {
            bool kill;
            lock (kernel.PtraceLock)
            {
                if (t.Tracer != tracer) continue;
                kill = (t.PtraceOptions & PtraceAbi.O_EXITKILL) != 0 && t.PtraceExitStatus is null;
                t.Unlink();
                t._ptraceResumeSignal = 0;
                t._ptraceStopped = false;
            }
            if (kill) kernel.SendGroupSignal(t.ThreadGroup, new SigInfo { Signo = Libc.SIGKILL, Code = 0x80 }, fromHost: false);
            t.Wake();
            // A tracee left in a group stop goes back to it (the run loop sees the group stopped).
            Kernel.WakeStopped(t.ThreadGroup);
        }
    }

    /// <summary>Whether some thread of tg is traced: signals are then queued even if ignored, and no signal kills the group at generation.</summary>
    internal static bool AnyTraced(ThreadGroup tg)
    {
        lock (tg)
            foreach (var t in tg.Tasks)
                if (t.Tracer is not null) return true;
        return false;
    }
}
