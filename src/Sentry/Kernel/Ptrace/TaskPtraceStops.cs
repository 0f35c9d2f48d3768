using Csrunsc.Native;
using Csrunsc.Sentry.Kernel.Ptrace;
using Csrunsc.Sentry.Syscalls;

namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// ptrace-stops, on the tracee's own thread: signal-delivery-stop, group-stop, syscall-enter/exit
/// stops, PTRACE_EVENT stops. A stop records its wait status (0x7f | sig &lt;&lt; 8, with 0x80 for
/// a TRACESYSGOOD syscall stop and event &lt;&lt; 16 for events), tells the tracer (SIGCHLD with
/// CLD_TRAPPED, a wake-up of its waiters) and sleeps until the tracer resumes it, detaches, or it
/// is killed. The FP state is snapshot at the stop so the tracer can read and change it.
/// </summary>
public sealed partial class Task
{
    // Stop state, under Kernel.PtraceLock.
    private bool _ptraceStopped, _ptraceStopUnreported, _ptraceGroupStop, _ptraceListening, _ptraceHasSigInfo;
    private int _ptraceStopStatus, _ptraceResumeSignal;
    private SigInfo _ptraceSigInfo;
    internal ulong PtraceEventMsg;

    /// <summary>1: in a syscall-enter-stop, 2: in a syscall-exit-stop, 0: another stop (PTRACE_GET_SYSCALL_INFO's op).</summary>
    private int _ptraceSyscallOp;

    /// <summary>The group stop (ThreadGroup.StopGeneration) this traced task has already reported.</summary>
    private int _ptraceGroupStopSeen;

    /// <summary>FP state as of the stop; written back at resume when the tracer changed it.</summary>
    private byte[]? _ptraceFp;
    private bool _ptraceFpDirty;

    /// <summary>PTRACE_SINGLESTEP set TF itself (it is cleared again at the next stop).</summary>
    private bool _ptraceForcedTf;

    private const int StopSigTrap = Libc.SIGTRAP;

    /// <summary>In a ptrace-stop (state t in /proc).</summary>
    public bool InPtraceStop => _ptraceStopped;

    /// <summary>The wait status of the current ptrace-stop, and whether the tracer's wait has seen it (debug views).</summary>
    internal int PtraceStopStatus => _ptraceStopStatus;
    internal bool PtraceStopReported => !_ptraceStopUnreported;

    /// <summary>
    /// Whether a stopped tracee of this tracer is ready for requests (ptrace_check_attach): a
    /// LISTENing one is not (ptrace_freeze_traced refuses JOBCTL_LISTENING: ESRCH), only
    /// INTERRUPT and KILL reach it.
    /// </summary>
    internal bool IsPtraceStoppedBy(ThreadGroup tracer) => Tracer == tracer && _ptraceStopped && !_ptraceListening && PtraceExitStatus is null;

    private bool PtraceStopMustEnd(bool exitStop) =>
        PtraceKilled || (Pending.Set & Bit(Libc.SIGKILL)) != 0 || (!exitStop && (Exiting || ThreadGroup.GroupExitStatus is not null));

    /// <summary>
    /// Enters a ptrace-stop with wait status `status` and sleeps until the tracer resumes it.
    /// Returns the signal the tracer resumed or detached with (0: none).
    /// </summary>
    private int PtraceStop(int status, bool groupStop, in SigInfo info, bool hasInfo, int syscallOp = 0, bool exitStop = false)
    {
        if (Context is { } ctx)
        {
            _ptraceFp ??= new byte[PtraceAbi.FpRegsSize];
            ctx.GetFpState(_ptraceFp);
        }
        if (_ptraceForcedTf)
        {
            Regs.Eflags &= ~FlagTf;
            _ptraceForcedTf = false;
        }
        ThreadGroup? tracer;
        lock (Kernel.PtraceLock)
        {
            tracer = Tracer;
            if (tracer is null || PtraceStopMustEnd(exitStop)) return 0;
            _ptraceStopped = true;
            _ptraceStopUnreported = true;
            _ptraceStopStatus = status;
            _ptraceGroupStop = groupStop;
            _ptraceListening = false;
            _ptraceHasSigInfo = hasInfo;
            _ptraceSigInfo = info;
            _ptraceResumeSignal = 0;
            _ptraceSyscallOp = syscallOp;
            _ptraceFpDirty = false;
            // A SIGCONT that ended the group stop before this trap was set (PTRACE_SEIZE of a stopped
            // task, then SIGCONT at once) found no stopped tracee to notify: Linux's attach waits for
            // the trap (JOBCTL_TRAPPING), so the continue must still reach the tracer — LISTEN re-traps.
            var tg = ThreadGroup;
            _ptraceTrapNotify = groupStop && PtraceSeized && !tg.Stopped && !tg.StopPending;
        }
        NotifyTracerOfStop(tracer, status);
        while (true)
        {
            lock (_sleepLock)
            {
                if (!_woken) Monitor.Wait(_sleepLock, 250);
                _woken = false;
            }
            lock (Kernel.PtraceLock)
            {
                if (!_ptraceStopped) break;
                if (Tracer is null || PtraceStopMustEnd(exitStop))
                {
                    _ptraceStopped = false;
                    _ptraceResumeSignal = 0;
                    break;
                }
            }
        }
        if (_ptraceFpDirty && Context is { } c && _ptraceFp is not null) c.SetFpState(_ptraceFp);
        _ptraceFpDirty = false;
        _ptraceSyscallOp = 0;
        return _ptraceResumeSignal;
    }

    /// <summary>do_notify_parent_cldstop for ptrace: CLD_TRAPPED to the tracer (unless SA_NOCLDSTOP), its waiters woken.</summary>
    private void NotifyTracerOfStop(ThreadGroup tracer, int status)
    {
        if ((tracer.Handlers.Actions[Libc.SIGCHLD].Flags & SigAction.SA_NOCLDSTOP) == 0)
        {
            Kernel.SendGroupSignal(tracer, new SigInfo
            {
                Signo = Libc.SIGCHLD, Code = CLD_TRAPPED, Pid = Tid, Uid = (int)ThreadGroup.Creds.Uid, Status = (status >> 8) & 0x7f,
            }, fromHost: false);
        }
        tracer.ChildEvents.Notify();
    }

    /// <summary>The siginfo a trap stop (syscall or event) shows to PTRACE_GETSIGINFO.</summary>
    private SigInfo TrapInfo(int code) =>
        new() { Signo = Libc.SIGTRAP, Code = code, Pid = ThreadGroup.Tgid, Uid = (int)ThreadGroup.Creds.Uid };

    /// <summary>A signal the tracer passed at a stop other than signal-delivery-stop is sent to the tracee (ptrace_report_syscall).</summary>
    private void PtraceInject(int sig)
    {
        if (sig > 0 && sig <= 64)
            SendSignal(new SigInfo { Signo = sig, Code = 0x80 /* SI_KERNEL */ });
    }

    /// <summary>
    /// signal-delivery-stop for a dequeued signal: the tracer sees it and may cancel it (0), keep
    /// it or replace it. Returns the signal to deliver; info is updated (SETSIGINFO, a new signal).
    /// </summary>
    private int PtraceSignalStop(ref SigInfo info)
    {
        int sig = info.Signo;
        int resumed = PtraceStop((sig << 8) | 0x7f, groupStop: false, in info, hasInfo: true);
        if (resumed == 0 || Exiting) return 0;
        SigInfo changed;
        lock (Kernel.PtraceLock) changed = _ptraceSigInfo;
        if (resumed != changed.Signo)
        {
            // A different signal than the one stopped for: it comes "from the tracer" (ptrace_signal).
            var tracer = Tracer;
            changed = new SigInfo { Signo = resumed, Code = 0 /* SI_USER */, Pid = tracer?.Tgid ?? 0, Uid = (int)(tracer?.Creds.Uid ?? 0) };
        }
        info = changed;
        return resumed;
    }

    /// <summary>A traced thread's part in a group stop: count in, then a ptrace group-stop until the tracer resumes it.</summary>
    private void PtraceGroupStop()
    {
        var tg = ThreadGroup;
        int sig;
        lock (tg)
        {
            _ptraceGroupStopSeen = tg.StopGeneration;
            if (tg.StopPending) tg.StopsDone++;
            sig = tg.StopSignal;
        }
        Kernel.CompleteGroupStop(tg);
        // Seized: a PTRACE_EVENT_STOP whose siginfo names the stop signal; else a plain stop without siginfo (GETSIGINFO EINVAL).
        int status = (sig << 8) | 0x7f;
        var info = default(SigInfo);
        if (PtraceSeized)
        {
            status |= PtraceAbi.EVENT_STOP << 16;
            info = new SigInfo { Signo = sig, Code = (PtraceAbi.EVENT_STOP << 8) | sig, Pid = tg.Tgid, Uid = (int)tg.Creds.Uid };
        }
        int resumed = PtraceStop(status, groupStop: true, in info, hasInfo: PtraceSeized);
        PtraceInject(resumed);
    }

    /// <summary>PTRACE_INTERRUPT's (or a seized child's first) trap: PTRACE_EVENT_STOP with SIGTRAP, or the stop signal in a group stop.</summary>
    private void PtraceTrapStop()
    {
        PtraceTrapPending = false;
        var tg = ThreadGroup;
        bool stopped = tg.Stopped;
        int sig = stopped ? tg.StopSignal : StopSigTrap;
        int status = (PtraceAbi.EVENT_STOP << 16) | (sig << 8) | 0x7f;
        var info = TrapInfo((PtraceAbi.EVENT_STOP << 8) | sig);
        info.Signo = sig;
        int resumed = PtraceStop(status, groupStop: stopped, in info, hasInfo: true);
        PtraceInject(resumed);
    }

    /// <summary>A PTRACE_EVENT stop (fork, vfork, clone, exec, vfork-done, exit) when the tracer asked for it.</summary>
    internal void PtraceEvent(int ev, ulong msg)
    {
        if (Tracer is null || (PtraceOptions & PtraceAbi.OptionFor(ev)) == 0) return;
        PtraceEventMsg = msg;
        int code = (ev << 8) | StopSigTrap;
        int resumed = PtraceStop((code << 8) | 0x7f, groupStop: false, TrapInfo(code), hasInfo: true, exitStop: ev == PtraceAbi.EVENT_EXIT);
        if (ev != PtraceAbi.EVENT_EXIT) PtraceInject(resumed);
    }

    /// <summary>After a successful execve: PTRACE_EVENT_EXEC (message: the former tid), or else the legacy SIGTRAP.</summary>
    private void PtraceAfterExec(int oldTid)
    {
        if (Tracer is null) return;
        if ((PtraceOptions & PtraceAbi.O_TRACEEXEC) != 0) PtraceEvent(PtraceAbi.EVENT_EXEC, (ulong)oldTid);
        else if (!PtraceSeized) SendSignal(new SigInfo { Signo = Libc.SIGTRAP, Code = 0 /* SI_USER */ });
    }

    /// <summary>A syscall stop: SIGTRAP, with 0x80 under TRACESYSGOOD.</summary>
    private int PtraceSyscallStop(int op)
    {
        int code = StopSigTrap | ((PtraceOptions & PtraceAbi.O_TRACESYSGOOD) != 0 ? 0x80 : 0);
        int resumed = PtraceStop((code << 8) | 0x7f, groupStop: false, TrapInfo(code), hasInfo: true, syscallOp: op);
        PtraceInject(resumed);
        return resumed;
    }

    /// <summary>
    /// A syscall of a tracee resumed with PTRACE_SYSCALL or PTRACE_SYSEMU: enter-stop (rax = -ENOSYS,
    /// the tracer may change the number and arguments, or skip the call with orig_rax = -1), the call
    /// (not under SYSEMU), exit-stop when the tracer resumed with PTRACE_SYSCALL again.
    /// </summary>
    private void DoSyscallPtraced()
    {
        bool emulate = PtraceResumeMode == PtraceResume.Sysemu;
        Regs.Rax = unchecked((ulong)-Errno.ENOSYS);
        PtraceSyscallStop(1);
        if (Exiting || emulate) return;
        long nr = (long)Regs.OrigRax;
        if (nr != -1)
        {
            var args = new SyscallArguments(Regs.Rdi, Regs.Rsi, Regs.Rdx, Regs.R10, Regs.R8, Regs.R9);
            if (Seccomp is not null && !SeccompPermits(nr, in args)) return;
            long ret;
            if (Kernel.Events.Strace)
            {
                var tracer = Kernel.Events.Tracer!;
                bool traced = tracer.Traces(nr);
                var call = traced ? tracer.Enter(this, nr, in args) : default;
                ret = Dispatch(nr, in args);
                if (traced) tracer.Exit(this, ref call, ret);
            }
            else
            {
                ret = Dispatch(nr, in args);
            }
            if (ret != SyscallTable.NoReturn) Regs.Rax = (ulong)ret;
            else if (Regs.OrigRax == ulong.MaxValue && (nr == 59 || nr == 322)) Regs.OrigRax = (ulong)nr; // execve leaves orig_rax as it was
        }
        if (Exiting || Tracer is null || PtraceResumeMode != PtraceResume.Syscall) return;
        PtraceSyscallStop(2);
    }

    /// <summary>Whether the run loop must look at ptrace before running guest code (a trap, or a group stop not yet reported).</summary>
    private bool PtraceRunLoopWork()
    {
        if (Tracer is null) return false;
        if (PtraceTrapPending)
        {
            PtraceTrapStop();
            return true;
        }
        var tg = ThreadGroup;
        if ((tg.StopPending || tg.Stopped) && _ptraceGroupStopSeen != tg.StopGeneration)
        {
            PtraceGroupStop();
            return true;
        }
        return false;
    }

    /// <summary>The group stop ended while this seized tracee was stopped and not listening (LISTEN then re-traps at once).</summary>
    private bool _ptraceTrapNotify;

    /// <summary>Under PtraceLock: a stopped seized tracee re-traps as PTRACE_EVENT_STOP with SIGTRAP (the group stop is over).</summary>
    private void PtraceRetrapLocked()
    {
        _ptraceTrapNotify = false;
        _ptraceListening = false;
        _ptraceGroupStop = false;
        _ptraceStopStatus = (PtraceAbi.EVENT_STOP << 16) | (StopSigTrap << 8) | 0x7f;
        _ptraceStopUnreported = true;
        _ptraceHasSigInfo = true;
        _ptraceSigInfo = TrapInfo((PtraceAbi.EVENT_STOP << 8) | StopSigTrap);
    }

    /// <summary>
    /// SIGCONT ended tg's group stop: a tracee that was LISTENing re-traps with PTRACE_EVENT_STOP and
    /// SIGTRAP (ptrace_trap_notify), which its tracer's wait reports.
    /// </summary>
    internal static void PtraceGroupContinued(ThreadGroup tg)
    {
        var kernel = tg.Kernel;
        foreach (var t in tg.TasksSnapshot())
        {
            ThreadGroup? tracer;
            lock (kernel.PtraceLock)
            {
                tracer = t.Tracer;
                if (tracer is null || !t._ptraceStopped || !t.PtraceSeized) continue;
                if (!t._ptraceListening)
                {
                    // JOBCTL_TRAP_NOTIFY: a later PTRACE_LISTEN re-traps at once.
                    t._ptraceTrapNotify = true;
                    continue;
                }
                t.PtraceRetrapLocked();
            }
            t.NotifyTracerOfStop(tracer, t._ptraceStopStatus);
        }
    }
}
