using Csrunsc.Native;
using Csrunsc.Sentry.Platform;
using Csrunsc.Sentry.Syscalls;

namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// The task's state machine on its dedicated OS thread: switch to the guest; on a syscall dispatch
/// through the table; on a fault ask Memory (or deliver SIGSEGV); deliver pending signals; repeat.
/// </summary>
public sealed partial class Task
{
    /// <summary>How the task gets its platform context when its thread starts.</summary>
    private Func<Task, int>? _acquireContext;

    private Thread? _thread;

    /// <summary>Holds a loaded task before its first instruction (init between create and start).</summary>
    private ManualResetEventSlim? _startGate;

    /// <summary>Like <see cref="Start"/>, but the guest does not run until <see cref="ReleaseStartGate"/>.</summary>
    public void StartGated(Func<Task, int> acquire)
    {
        _startGate = new ManualResetEventSlim(false);
        Start(acquire);
    }

    public void ReleaseStartGate() => _startGate?.Set();

    /// <summary>
    /// Before start: signals with a fatal default action (kill in the created state) still end the
    /// task; others stay pending until it runs.
    /// </summary>
    private void WaitForStart()
    {
        var gate = _startGate;
        if (gate is null) return;
        while (!gate.Wait(20))
        {
            if (Exiting || ThreadGroup.GroupExitStatus is not null) return;
            if (HasFatalPendingSignal())
            {
                DeliverSignals();
                return;
            }
        }
    }

    private void WaitThawed()
    {
        while (!ThreadGroup.Container.Thawed.Wait(50))
        {
            if (Exiting || ThreadGroup.GroupExitStatus is not null) return;
        }
    }

    /// <summary>Starts the task's OS thread. acquire runs first, on that thread, to create or attach the context.</summary>
    public void Start(Func<Task, int> acquire)
    {
        if (!TryStart(acquire)) throw new OutOfMemoryException("the host refused a thread for task " + Tid);
    }

    /// <summary>Like <see cref="Start"/>; false when the host refuses the thread (pids limit, memory).</summary>
    public bool TryStart(Func<Task, int> acquire)
    {
        _acquireContext = acquire;
        Interlocked.Increment(ref Kernel.LiveTasks);
        try
        {
            _thread = new Thread(ThreadMain, 256 * 1024) { IsBackground = true, Name = "task-" + Tid };
            _thread.Start();
            return true;
        }
        catch (Exception e) when (e is OutOfMemoryException or ThreadStartException)
        {
            Interlocked.Decrement(ref Kernel.LiveTasks);
            _thread = null;
            return false;
        }
    }

    private void ThreadMain()
    {
        t_current = this;
        StartCpuAccounting();
        int r = _acquireContext!(this);
        _acquireContext = null;
        if (r < 0 && _cloneStart is not null)
        {
            // fork/clone refused by the host: the parent gets the errno, the child never existed.
            Kernel.Events.Write($"csrunsc: clone of task {Tid} refused by the host: {Errno.Name(-r)}\n");
            UndoFailedClone();
            ReleaseHostWake();
            Interlocked.Decrement(ref Kernel.LiveTasks);
            return;
        }
        _cloneStart = null;
        if (r < 0)
        {
            if (r != -Errno.ENOENT && r != -Errno.EACCES && r != -Errno.ENOEXEC) Kernel.Events.Write($"csrunsc: task {Tid} could not start: {Errno.Name(-r)}\n");
            ExitGroup(Libc.SIGKILL);
        }
        else
        {
            WaitForStart();
            Run();
        }
        FinishExit();
        ReleaseHostWake();
        Interlocked.Decrement(ref Kernel.LiveTasks);
    }

    private void Run()
    {
        while (!Exiting)
        {
            // A traced task reports traps and group stops to its tracer (Ptrace/TaskPtraceStops.cs),
            // before it dequeues a signal (get_signal's order: a group-stopped task attached with
            // PTRACE_ATTACH reports the group stop, its SIGSTOP stays pending).
            if (Tracer is not null && PtraceRunLoopWork()) continue;
            if (_interrupted || Pending.Set != 0 || ThreadGroup.SharedPending.Set != 0)
            {
                ClearInterrupt();
                DeliverSignals();
                if (Exiting) break;
            }
            if (Tracer is not null && PtraceRunLoopWork()) continue;
            if ((ThreadGroup.StopPending || ThreadGroup.Stopped) && Tracer is null)
            {
                ParticipateInGroupStop();
                continue;
            }
            if (!ThreadGroup.Container.Thawed.IsSet)
            {
                WaitThawed();
                continue;
            }
            if (Mm.HasPendingUnmaps) Mm.FlushPendingUnmaps(Context!);
            EnterGuest();
            var result = Context!.Switch(ref Regs, out SigInfo info);
            LeaveGuest();
            switch (result)
            {
                case SwitchResult.Syscall:
                    DoSyscall();
                    break;
                case SwitchResult.Fault:
                    HandleFault(in info);
                    break;
                case SwitchResult.Vsyscall:
                    DoVsyscall(info.Status);
                    break;
                case SwitchResult.Interrupted:
                    break;
                case SwitchResult.Dead:
                    // Its host process vanished under it (Kernel.OnAddressSpaceLost says so on the event log).
                    ExitGroup(Libc.SIGKILL);
                    break;
            }
        }
    }

    /// <summary>
    /// A 32-bit entry: the guest ran `int 0x80`, or `syscall`/`sysenter` in the 32-bit code segment.
    /// Its registers follow the i386 ABI (ebx, ecx, edx... and the i386 numbers), so dispatching them
    /// as a 64-bit call would run an unrelated call with unrelated arguments. A 64-bit `syscall` always
    /// leaves rcx = rip and r11 = rflags (the CPU writes them), which int 0x80 does not.
    /// </summary>
    private bool IsCompatEntry() => Regs.Cs != UserCs64 || Regs.Rcx != Regs.Rip || Regs.R11 != Regs.Eflags;

    private void DoSyscall()
    {
        if (IsCompatEntry())
        {
            // The 32-bit table is not implemented (as gVisor's ptrace platform): ENOSYS, once noted.
            Kernel.Events.CompatEntry(Tid);
            Regs.Rax = unchecked((ulong)-Errno.ENOSYS);
            return;
        }
        if (Tracer is not null && PtraceResumeMode is Ptrace.PtraceResume.Syscall or Ptrace.PtraceResume.Sysemu)
        {
            DoSyscallPtraced();
            return;
        }
        long nr = (long)Regs.OrigRax;
        var args = new SyscallArguments(Regs.Rdi, Regs.Rsi, Regs.Rdx, Regs.R10, Regs.R8, Regs.R9);
        if (Seccomp is not null && !SeccompPermits(nr, in args)) return;
        // With --strace off this one branch is all tracing costs: no formatting, no allocation.
        if (Kernel.Events.Strace)
        {
            DoSyscallTraced(nr, in args);
            return;
        }
        long ret = Dispatch(nr, in args);
        if (ret != SyscallTable.NoReturn) Regs.Rax = (ulong)ret;
    }

    private void DoSyscallTraced(long nr, in SyscallArguments args)
    {
        var tracer = Kernel.Events.Tracer!;
        bool traced = tracer.Traces(nr);
        var call = traced ? tracer.Enter(this, nr, in args) : default;
        long ret = Dispatch(nr, in args);
        if (traced) tracer.Exit(this, ref call, ret);
        if (ret != SyscallTable.NoReturn) Regs.Rax = (ulong)ret;
    }

    /// <summary>Runs the handler (ENOSYS for unknown numbers) and counts the call.</summary>
    private long Dispatch(long nr, in SyscallArguments args)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        CurrentSyscallSince = start;
        CurrentSyscall = nr;
        var entry = SyscallTable.Get(nr);
        long ret;
        if (entry is null)
        {
            Kernel.Events.Unimplemented(Tid, nr, SyscallTable.NameOf(nr));
            ret = -Errno.ENOSYS;
        }
        else
        {
            try
            {
                ret = entry.Handler(this, in args);
            }
            catch (Exception e)
            {
                // Last resort: a Sentry bug reached by this call fails the call, never the sandbox.
                ret = -Errno.EIO;
                Kernel.Events.Write($"csrunsc: {entry.Name} by tid {Tid} raised {e.GetType().Name}: {e.Message} (answered EIO)\n");
            }
        }
        CurrentSyscall = -1;
        Kernel.Stats.Record(this, nr, ret, System.Diagnostics.Stopwatch.GetTimestamp() - start);
        return ret;
    }

    /// <summary>
    /// A call into the vsyscall page (only gettimeofday, time and getcpu get here): answered as the
    /// syscall it stands for. A bad pointer is SIGSEGV, as Linux's emulate_vsyscall.
    /// </summary>
    private void DoVsyscall(int nr)
    {
        var entry = SyscallTable.Get(nr);
        var args = new SyscallArguments(Regs.Rdi, Regs.Rsi, Regs.Rdx, 0, 0, 0);
        long ret;
        try
        {
            ret = entry is null ? -Errno.ENOSYS : entry.Handler(this, in args);
        }
        catch (Exception e)
        {
            ret = -Errno.EIO;
            Kernel.Events.Write($"csrunsc: vsyscall {nr} by tid {Tid} raised {e.GetType().Name}: {e.Message} (answered EIO)\n");
        }
        if (ret == -Errno.EFAULT)
        {
            SendSignalForced(new SigInfo { Signo = Libc.SIGSEGV, Code = 0x80 /* SI_KERNEL */ });
            return;
        }
        Regs.Rax = (ulong)ret;
    }

    private void HandleFault(in SigInfo info)
    {
        Faults++;
        Interlocked.Increment(ref Kernel.Faults);
        if (info.Signo == Libc.SIGSEGV)
        {
            int code = Mm.HandleFault(Context!, info.Addr, info.Code, out int signo);
            if (code == 0) return;
            // Below the stack: it grows down to the address, within RLIMIT_STACK (expand_stack).
            if (signo == Libc.SIGSEGV && code == 1 && Mm.TryGrowStack(info.Addr, Rlimits.Cur(ThreadGroup, Rlimits.STACK)))
                code = Mm.HandleFault(Context!, info.Addr, info.Code, out signo);
            if (code == 0) return;
            SendSignalForced(new SigInfo { Signo = signo, Code = code, Addr = info.Addr });
            return;
        }
        // SIGBUS, SIGILL, SIGFPE, SIGTRAP raised by guest code: the guest gets them as they were.
        SendSignalForced(new SigInfo { Signo = info.Signo, Code = info.Code, Addr = info.Addr });
    }
}
