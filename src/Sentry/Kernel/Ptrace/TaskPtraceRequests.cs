using System.Runtime.InteropServices;
using Csrunsc.Native;
using Csrunsc.Sentry.Kernel.Ptrace;

namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// The tracer's requests on a tracee in a ptrace-stop (run on the tracer's thread; the stopped
/// tracee does not touch its registers, FP snapshot or siginfo until it is resumed).
/// </summary>
public sealed partial class Task
{
    /// <summary>CONT, SYSCALL, SYSEMU, SINGLESTEP: resume a stopped tracee, delivering sig (0: none).</summary>
    internal int PtraceResumeTracee(Task tracee, PtraceResume mode, int sig)
    {
        if (sig < 0 || sig > 64) return -Errno.EIO;
        lock (Kernel.PtraceLock)
        {
            if (!tracee.IsPtraceStoppedBy(ThreadGroup)) return -Errno.ESRCH;
            tracee.PtraceResumeMode = mode;
            if (mode == PtraceResume.SingleStep && (tracee.Regs.Eflags & FlagTf) == 0)
            {
                tracee.Regs.Eflags |= FlagTf;
                tracee._ptraceForcedTf = true;
            }
            tracee._ptraceResumeSignal = sig;
            tracee._ptraceStopped = false;
            tracee._ptraceListening = false;
            tracee._ptraceStopUnreported = false;
            tracee._ptraceTrapNotify = false;
        }
        tracee.Wake();
        return 0;
    }

    /// <summary>PTRACE_KILL: SIGKILL to the tracee (no stop needed; a no-op on one that has exited).</summary>
    internal int PtraceKillTracee(Task tracee)
    {
        if (tracee.Tracer != ThreadGroup) return -Errno.ESRCH;
        if (tracee.PtraceExitStatus is not null) return 0;
        Kernel.SendGroupSignal(tracee.ThreadGroup, new SigInfo { Signo = Libc.SIGKILL, Code = 0x80 }, fromHost: false);
        return 0;
    }

    /// <summary>PTRACE_INTERRUPT (seized tracees only): a PTRACE_EVENT_STOP trap as soon as it can; re-traps a LISTENing one.</summary>
    internal int PtraceInterruptTracee(Task tracee)
    {
        ThreadGroup? tracer;
        lock (Kernel.PtraceLock)
        {
            tracer = tracee.Tracer;
            if (tracer != ThreadGroup || tracee.PtraceExitStatus is not null) return -Errno.ESRCH;
            if (!tracee.PtraceSeized) return -Errno.EIO;
            if (tracee._ptraceStopped)
            {
                if (!tracee._ptraceListening) return 0;
                tracee._ptraceListening = false;
                tracee._ptraceStopUnreported = true;
                tracee._ptraceStopStatus = (PtraceAbi.EVENT_STOP << 16) | ((tracee.ThreadGroup.Stopped ? tracee.ThreadGroup.StopSignal : StopSigTrap) << 8) | 0x7f;
            }
            else
            {
                tracee.PtraceTrapPending = true;
                tracer = null;
            }
        }
        if (tracer is not null) tracee.NotifyTracerOfStop(tracer, tracee._ptraceStopStatus);
        else tracee.Interrupt();
        return 0;
    }

    /// <summary>PTRACE_LISTEN: a seized tracee in a PTRACE_EVENT_STOP stays stopped but re-reports when the group stop ends (or on INTERRUPT).</summary>
    internal int PtraceListen(Task tracee)
    {
        ThreadGroup? retrapped = null;
        lock (Kernel.PtraceLock)
        {
            if (!tracee.IsPtraceStoppedBy(ThreadGroup)) return -Errno.ESRCH;
            if (!tracee.PtraceSeized) return -Errno.EIO;
            // Only a PTRACE_EVENT_STOP listens; another stop answers 0 and stays as it is (ptrace_listen).
            if (tracee._ptraceHasSigInfo && (tracee._ptraceSigInfo.Code >> 8) == PtraceAbi.EVENT_STOP)
            {
                tracee._ptraceListening = true;
                tracee._ptraceStopUnreported = false;
                // The group stop already ended (SIGCONT came before LISTEN): the notification is due now.
                if (tracee._ptraceTrapNotify)
                {
                    tracee.PtraceRetrapLocked();
                    retrapped = tracee.Tracer;
                }
            }
        }
        if (retrapped is not null) tracee.NotifyTracerOfStop(retrapped, tracee._ptraceStopStatus);
        return 0;
    }

    internal int PtraceSetOptions(Task tracee, ulong options)
    {
        if ((options & ~(ulong)PtraceAbi.SupportedOptions) != 0) return -Errno.EINVAL;
        lock (Kernel.PtraceLock)
        {
            if (!tracee.IsPtraceStoppedBy(ThreadGroup)) return -Errno.ESRCH;
            tracee.PtraceOptions = (int)options;
        }
        return 0;
    }

    // ---- memory ----

    /// <summary>PEEKTEXT/PEEKDATA: one word of the tracee's memory, read with FOLL_FORCE (protections aside); EIO if unmapped.</summary>
    internal int PtracePeek(Task tracee, ulong addr, out ulong word)
    {
        word = 0;
        Span<byte> b = stackalloc byte[8];
        if (tracee.Mm.CopyInForce(addr, b) < 0) return -Errno.EIO;
        word = MemoryMarshal.Read<ulong>(b);
        return 0;
    }

    /// <summary>POKETEXT/POKEDATA: writes one word, also into read-only private mappings (a breakpoint in text, copy-on-write).</summary>
    internal int PtracePoke(Task tracee, ulong addr, ulong word)
    {
        Span<byte> b = stackalloc byte[8];
        MemoryMarshal.Write(b, word);
        return tracee.Mm.CopyOutForce(addr, b) < 0 ? -Errno.EIO : 0;
    }

    // ---- registers ----

    private static Span<ulong> RegWords(ref UserRegs regs) => MemoryMarshal.CreateSpan(ref regs.R15, PtraceAbi.RegsSize / 8);

    /// <summary>PEEKUSR: a word of struct user (registers; debug registers read as 0, nothing is armed; the rest 0).</summary>
    internal static int PtracePeekUser(Task tracee, ulong offset, out ulong word)
    {
        word = 0;
        if ((offset & 7) != 0 || offset >= PtraceAbi.UserSize) return -Errno.EIO;
        if (offset < PtraceAbi.RegsSize) word = RegWords(ref tracee.Regs)[(int)(offset / 8)];
        return 0;
    }

    /// <summary>POKEUSR: a register (putreg's checks), or a debug register set to 0 (hardware breakpoints are not offered: any other value is EIO).</summary>
    internal static int PtracePokeUser(Task tracee, ulong offset, ulong word)
    {
        if ((offset & 7) != 0 || offset >= PtraceAbi.UserSize) return -Errno.EIO;
        if (offset < PtraceAbi.RegsSize) return PutReg(ref tracee.Regs, (int)(offset / 8), word);
        if (offset >= PtraceAbi.DebugRegOffset) return word == 0 ? 0 : -Errno.EIO;
        return -Errno.EIO;
    }

    // Word indices of struct user_regs_struct.
    private const int RegRip = 16, RegCs = 17, RegEflags = 18, RegSs = 20, RegFsBase = 21, RegGsBase = 22, RegDs = 23, RegEs = 24, RegFs = 25, RegGs = 26;

    /// <summary>putreg: segment selectors must be user selectors (RPL 3), bases below TASK_SIZE_MAX, and only user flags change.</summary>
    private static int PutReg(ref UserRegs regs, int index, ulong value)
    {
        var w = RegWords(ref regs);
        switch (index)
        {
            case RegCs:
                if (value != UserCs64 && value != UserCs32) return -Errno.EIO;
                break;
            case RegSs:
                if (value != UserDs) return -Errno.EIO;
                break;
            case RegDs or RegEs or RegFs or RegGs:
                if (value > 0xffff || (value != 0 && (value & 3) != 3)) return -Errno.EIO;
                break;
            case RegFsBase or RegGsBase:
                if (value >= PtraceAbi.TaskSizeMax) return -Errno.EIO;
                break;
            case RegEflags:
                value = (w[RegEflags] & ~PtraceAbi.UserFlags) | (value & PtraceAbi.UserFlags);
                break;
        }
        w[index] = value;
        return 0;
    }

    /// <summary>SETREGS/SETREGSET(NT_PRSTATUS): every register through putreg; nothing changes if one is refused.</summary>
    internal static int PtraceSetRegs(Task tracee, ReadOnlySpan<ulong> words)
    {
        var regs = tracee.Regs;
        for (int i = 0; i < words.Length; i++)
        {
            int r = PutReg(ref regs, i, words[i]);
            if (r < 0) return r;
        }
        tracee.Regs = regs;
        return 0;
    }

    internal static ReadOnlySpan<byte> PtraceRegBytes(Task tracee) =>
        MemoryMarshal.AsBytes(RegWords(ref tracee.Regs));

    /// <summary>The tracee's FXSAVE area as of its stop.</summary>
    internal static ReadOnlySpan<byte> PtraceFpBytes(Task tracee) => tracee._ptraceFp ?? new byte[PtraceAbi.FpRegsSize];

    internal static void PtraceSetFp(Task tracee, ReadOnlySpan<byte> fx)
    {
        var buf = tracee._ptraceFp ??= new byte[PtraceAbi.FpRegsSize];
        fx.CopyTo(buf);
        // MXCSR's reserved bits must be zero (Linux refuses or masks them; the host would refuse the state).
        uint mxcsr = MemoryMarshal.Read<uint>(buf.AsSpan(24)) & 0xFFFF;
        MemoryMarshal.Write(buf.AsSpan(24), mxcsr);
        tracee._ptraceFpDirty = true;
    }

    // ---- siginfo, event message, mask ----

    internal static int PtraceGetSigInfo(Task tracee, out SigInfo info)
    {
        info = tracee._ptraceSigInfo;
        return tracee._ptraceHasSigInfo ? 0 : -Errno.EINVAL;
    }

    internal static int PtraceSetSigInfo(Task tracee, in SigInfo info)
    {
        if (!tracee._ptraceHasSigInfo) return -Errno.EINVAL;
        tracee._ptraceSigInfo = info;
        return 0;
    }

    internal static void PtraceSetSigMask(Task tracee, ulong mask) => tracee.SignalMask = mask & ~Unblockable;

    /// <summary>PTRACE_GET_SYSCALL_INFO's op for the current stop: 1 entry, 2 exit, 0 other.</summary>
    internal static int PtraceSyscallOp(Task tracee) => tracee._ptraceSyscallOp;
}
