using System.Runtime.InteropServices;
using Csrunsc.Native;
using Csrunsc.Sentry.Syscalls;

namespace Csrunsc.Sentry.Kernel;

/// <summary>Signal generation and delivery: default actions, handler frames, rt_sigreturn.</summary>
public sealed partial class Task
{
    public static ulong Bit(int sig) => PendingSignals.Bit(sig);
    private static readonly ulong Unblockable = Bit(Libc.SIGKILL) | Bit(Libc.SIGSTOP);

    /// <summary>Signals whose default action is to do nothing.</summary>
    public static bool DefaultIgnored(int sig) =>
        sig is Libc.SIGCHLD or Libc.SIGURG or Libc.SIGWINCH or Libc.SIGCONT;

    internal static bool DefaultCoreDumps(int sig) =>
        sig is Libc.SIGQUIT or Libc.SIGILL or Libc.SIGTRAP or Libc.SIGABRT or Libc.SIGBUS or Libc.SIGFPE
            or Libc.SIGSEGV or Libc.SIGXCPU or Libc.SIGXFSZ or Libc.SIGSYS;

    private static bool DefaultStops(int sig) => sig is Libc.SIGSTOP or Libc.SIGTSTP or Libc.SIGTTIN or Libc.SIGTTOU;

    /// <summary>Queues a signal for this thread (tgkill). 0, or -EAGAIN when a real-time signal's queue is full.</summary>
    public int SendSignal(in SigInfo info, ISignalSource? source = null)
    {
        ThreadGroup.Kernel.PrepareSignal(ThreadGroup, info.Signo);
        if (ThreadGroup.Kernel.SignalIgnored(ThreadGroup, info.Signo, fromHost: false, SignalMask)) return 0;
        var added = Pending.Add(in info, source, ThreadGroup.Kernel.SigpendingOf(ThreadGroup), Rlimits.Cur(ThreadGroup, Rlimits.SIGPENDING));
        if (added == PendingSignals.AddResult.Overflow) return -Errno.EAGAIN;
        if (added == PendingSignals.AddResult.AlreadyPending) return 0;
        ThreadGroup.SignalQueued.Notify(PollEvents.In);
        if ((SignalMask & Bit(info.Signo)) == 0 || info.Signo == Libc.SIGKILL) Interrupt();
        else Wake();
        return 0;
    }

    /// <summary>The calling thread raises sig on itself (SIGPIPE on a broken pipe, ...).</summary>
    public void SendSignalToSelf(int sig) =>
        SendSignal(new SigInfo { Signo = sig, Code = 0, Pid = ThreadGroup.Tgid, Uid = (int)ThreadGroup.Creds.Uid });

    /// <summary>A synchronous fault: delivered even if blocked or ignored (force_sig_info).</summary>
    public void SendSignalForced(in SigInfo info)
    {
        int sig = info.Signo;
        ref var act = ref ThreadGroup.Handlers.Actions[sig];
        if ((SignalMask & Bit(sig)) != 0 || act.Handler == SigAction.SIG_IGN)
        {
            SignalMask &= ~Bit(sig);
            if (act.Handler == SigAction.SIG_IGN) act.Handler = SigAction.SIG_DFL;
        }
        Pending.Add(in info);
        _forcedSignals |= Bit(sig);
        _interrupted = true;
    }

    /// <summary>Signals raised by <see cref="SendSignalForced"/> not yet delivered (they kill even init).</summary>
    private ulong _forcedSignals;

    /// <summary>A pending, unblocked signal whose disposition is the default action "terminate".</summary>
    private bool HasFatalPendingSignal()
    {
        ulong set = (Pending.Set | ThreadGroup.SharedPending.Set) & ~(SignalMask & ~Unblockable);
        for (int sig = 1; set != 0; sig++, set >>= 1)
        {
            if ((set & 1) == 0) continue;
            var act = ThreadGroup.Handlers.Actions[sig];
            if (sig == Libc.SIGKILL || (act.Handler == SigAction.SIG_DFL && !DefaultIgnored(sig) && !DefaultStops(sig))) return true;
        }
        return false;
    }

    private bool DequeueSignal(out SigInfo info)
    {
        ulong mask = SignalMask & ~Unblockable;
        if (Pending.TryDequeue(mask, out info)) return true;
        return ThreadGroup.SharedPending.TryDequeue(mask, out info);
    }

    /// <summary>Delivers every deliverable pending signal (handlers stack frames; defaults act).</summary>
    private void DeliverSignals()
    {
        if (ThreadGroup.GroupExitStatus is not null)
        {
            Exiting = true;
            return;
        }
        bool handled = false;
        while (!Exiting && DequeueSignal(out SigInfo info))
        {
            int sig = info.Signo;
            if (sig == Libc.SIGKILL)
            {
                ExitGroup(sig);
                return;
            }
            if (Tracer is not null)
            {
                // signal-delivery-stop: the tracer may cancel the signal, keep it or replace it.
                sig = PtraceSignalStop(ref info);
                if (Exiting) return;
                if (sig == 0) continue;
                if (sig == Libc.SIGKILL)
                {
                    ExitGroup(sig);
                    return;
                }
                if ((SignalMask & Bit(sig)) != 0)
                {
                    // A replacement the tracee blocks is queued again (ptrace_signal).
                    SendSignal(in info);
                    continue;
                }
            }
            var act = ThreadGroup.Handlers.Actions[sig];
            if (Kernel.Events.Strace) Kernel.Events.Tracer!.Signal(this, in info);
            if (act.Handler == SigAction.SIG_IGN) continue;
            if (act.Handler == SigAction.SIG_DFL)
            {
                // Init takes no default action but a (host-forced) stop: a signal it had blocked
                // and then unblocked without a handler goes (SIGNAL_UNKILLABLE).
                // A synchronous fault (force_sig) still kills it.
                bool forced = (_forcedSignals & Bit(sig)) != 0;
                _forcedSignals &= ~Bit(sig);
                if (ThreadGroup == Kernel.Init && sig != Libc.SIGSTOP && !forced) continue;
                if (DefaultStops(sig))
                {
                    // Terminal stops in an orphaned process group are discarded (no one could continue it).
                    if (sig != Libc.SIGSTOP && Kernel.IsOrphanedProcessGroup(ThreadGroup.Pgid, null)) continue;
                    InitiateGroupStop(sig);
                    break; // the run loop stops this thread; later signals wait until it is continued
                }
                if (DefaultIgnored(sig)) continue;
                // Core-action signals kill like the others: the Sentry writes no core file, and Linux
                // sets the status's core flag (WCOREDUMP, CLD_DUMPED) only when one was written.
                ExitGroup(sig);
                return;
            }
            if (SetupFrame(in info, in act) < 0)
            {
                ExitGroup(Libc.SIGSEGV);
                return;
            }
            handled = true;
            if ((act.Flags & SigAction.SA_RESETHAND) != 0) ThreadGroup.Handlers.Actions[sig] = default;
        }
        if (!handled) RestartInterruptedSyscall(null);
        if (!handled && SavedSignalMask is { } saved)
        {
            SignalMask = saved;
            SavedSignalMask = null;
        }
    }

    /// <summary>
    /// After a syscall answered a restart code: with no handler run (or SA_RESTART) the syscall is
    /// re-executed, otherwise the guest sees EINTR (Linux's handle_signal/restart logic).
    /// </summary>
    private const ulong SysRestartSyscall = 219;

    private void RestartInterruptedSyscall(SigAction? act)
    {
        long rax = (long)Regs.Rax;
        if (rax != -Errno.ERESTARTSYS && rax != -Errno.ERESTARTNOINTR && rax != -Errno.ERESTARTNOHAND && rax != -Errno.ERESTART_RESTARTBLOCK)
            return;
        bool restart = act is null
            ? true
            : rax == -Errno.ERESTARTNOINTR || (rax == -Errno.ERESTARTSYS && (act.Value.Flags & SigAction.SA_RESTART) != 0);
        if (!restart) Restart.Kind = RestartKind.None;
        if (restart)
        {
            // ERESTART_RESTARTBLOCK re-enters as restart_syscall, which resumes Task.Restart.
            Regs.Rax = rax == -Errno.ERESTART_RESTARTBLOCK ? SysRestartSyscall : Regs.OrigRax;
            Regs.Rip -= 2;
        }
        else
        {
            Regs.Rax = unchecked((ulong)-Errno.EINTR);
        }
    }

    private const ulong UserCs64 = 0x33, UserCs32 = 0x23, UserDs = 0x2b, FlagTf = 1UL << 8, FlagDf = 1UL << 10, FlagRf = 1UL << 16;

    // struct rt_sigframe layout (x86-64): pretcode(8) | ucontext(304) | siginfo(128); fpstate separately.
    private const int UcOffset = 8, UcMcontext = 40, UcSigmask = 296, InfoOffset = 312, FrameSize = 440;

    private unsafe int SetupFrame(in SigInfo info, in SigAction act)
    {
        RestartInterruptedSyscall(act);
        ulong sp = Regs.Rsp;
        bool onAlt = AltStackFlags == 0 && (act.Flags & SigAction.SA_ONSTACK) != 0 &&
                     !(sp > AltStackSp && sp <= AltStackSp + AltStackSize);
        if (onAlt) sp = AltStackSp + AltStackSize;
        else sp -= 128; // red zone

        Span<byte> fx = stackalloc byte[512];
        Context!.GetFpState(fx);
        ulong fpstate = (sp - 512) & ~63UL;
        ulong frame = ((fpstate - FrameSize) & ~15UL) - 8;

        Span<byte> f = stackalloc byte[FrameSize];
        f.Clear();
        ulong oldMask = SavedSignalMask ?? SignalMask;
        SavedSignalMask = null;
        MemoryMarshal.Write(f[0..], act.Restorer);
        // uc_flags, uc_link, uc_stack
        MemoryMarshal.Write(f[(UcOffset + 16)..], AltStackSp);
        MemoryMarshal.Write(f[(UcOffset + 24)..], AltStackFlags);
        MemoryMarshal.Write(f[(UcOffset + 32)..], AltStackSize);
        var mc = f.Slice(UcOffset + UcMcontext, 256);
        ref readonly var r = ref Regs;
        ulong[] order = [r.R8, r.R9, r.R10, r.R11, r.R12, r.R13, r.R14, r.R15, r.Rdi, r.Rsi, r.Rbp, r.Rbx, r.Rdx, r.Rax, r.Rcx, r.Rsp, r.Rip, r.Eflags];
        for (int i = 0; i < order.Length; i++) MemoryMarshal.Write(mc[(i * 8)..], order[i]);
        MemoryMarshal.Write(mc[144..], (ushort)r.Cs);
        MemoryMarshal.Write(mc[150..], (ushort)r.Ss);
        MemoryMarshal.Write(mc[168..], (ulong)info.Addr); // cr2
        MemoryMarshal.Write(mc[176..], fpstate);
        MemoryMarshal.Write(f[(UcOffset + UcSigmask)..], oldMask);
        fixed (SigInfo* si = &info) new ReadOnlySpan<byte>(si, 128).CopyTo(f[InfoOffset..]);

        if (Mm.CopyOut(fpstate, fx) < 0 || Mm.CopyOut(frame, f) < 0) return -Errno.EFAULT;

        Regs.Rsp = frame;
        Regs.Rip = act.Handler;
        Regs.Rdi = (ulong)info.Signo;
        Regs.Rsi = frame + InfoOffset;
        Regs.Rdx = frame + UcOffset;
        Regs.Rax = 0;
        // As Linux's setup_rt_frame: the handler runs in 64-bit mode (whatever code segment the guest
        // was in) with DF (the ABI), TF (no single-stepping into the handler) and RF cleared.
        Regs.Cs = UserCs64;
        Regs.Ss = UserDs;
        Regs.Eflags &= ~(FlagTf | FlagDf | FlagRf);
        SignalMask |= act.Mask;
        if ((act.Flags & SigAction.SA_NODEFER) == 0) SignalMask |= Bit(info.Signo);
        SignalMask &= ~Unblockable;
        return 0;
    }

    /// <summary>rt_sigreturn: restores registers, mask and FP state from the frame at rsp-8.</summary>
    internal long SigReturn()
    {
        Restart.Kind = RestartKind.None; // as Linux's rt_sigreturn: nothing left to restart
        ulong frame = Regs.Rsp - 8;
        Span<byte> f = stackalloc byte[FrameSize];
        if (Mm.CopyIn(frame, f) < 0)
        {
            SendSignalForced(new SigInfo { Signo = Libc.SIGSEGV });
            return SyscallTable.NoReturn;
        }
        var mc = f.Slice(UcOffset + UcMcontext, 256);
        Span<ulong> g = stackalloc ulong[18];
        for (int i = 0; i < 18; i++) g[i] = MemoryMarshal.Read<ulong>(mc[(i * 8)..]);
        Regs.R8 = g[0]; Regs.R9 = g[1]; Regs.R10 = g[2]; Regs.R11 = g[3]; Regs.R12 = g[4]; Regs.R13 = g[5];
        Regs.R14 = g[6]; Regs.R15 = g[7]; Regs.Rdi = g[8]; Regs.Rsi = g[9]; Regs.Rbp = g[10]; Regs.Rbx = g[11];
        Regs.Rdx = g[12]; Regs.Rax = g[13]; Regs.Rcx = g[14]; Regs.Rsp = g[15]; Regs.Rip = g[16];
        // The code segment comes back from the frame (a handler may return into 32-bit code); any
        // selector but the two user code segments would fault on the way back: SIGSEGV, as there.
        ulong cs = MemoryMarshal.Read<ushort>(mc[144..]) | 3UL;
        if (cs != UserCs64 && cs != UserCs32)
        {
            SendSignalForced(new SigInfo { Signo = Libc.SIGSEGV, Code = 0x80 /* SI_KERNEL */ });
            return SyscallTable.NoReturn;
        }
        Regs.Cs = cs;
        Regs.Ss = UserDs;
        // Only user-changeable flags (CF PF AF ZF SF TF DF OF, AC, ID...) come from the frame.
        const ulong userFlags = 0x0025_4DD5;
        Regs.Eflags = (Regs.Eflags & ~userFlags) | (g[17] & userFlags);
        Regs.OrigRax = ulong.MaxValue;
        ulong fpstate = MemoryMarshal.Read<ulong>(mc[176..]);
        if (fpstate != 0)
        {
            Span<byte> fx = stackalloc byte[512];
            if (Mm.CopyIn(fpstate, fx) == 0)
            {
                // MXCSR reserved bits must be zero or the host refuses the state.
                uint mxcsr = MemoryMarshal.Read<uint>(fx[24..]) & 0xFFFF;
                MemoryMarshal.Write(fx[24..], mxcsr);
                Context!.SetFpState(fx);
            }
        }
        SignalMask = MemoryMarshal.Read<ulong>(f[(UcOffset + UcSigmask)..]) & ~Unblockable;
        _interrupted = true; // newly unblocked signals may now be deliverable
        return SyscallTable.NoReturn;
    }
}
