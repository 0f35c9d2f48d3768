namespace Csrunsc.Sentry.Kernel.Ptrace;

/// <summary>ptrace(2)'s x86-64 ABI: request numbers, options, events and the struct user layout.</summary>
public static class PtraceAbi
{
    public const int TRACEME = 0, PEEKTEXT = 1, PEEKDATA = 2, PEEKUSR = 3, POKETEXT = 4, POKEDATA = 5, POKEUSR = 6,
        CONT = 7, KILL = 8, SINGLESTEP = 9, GETREGS = 12, SETREGS = 13, GETFPREGS = 14, SETFPREGS = 15,
        ATTACH = 16, DETACH = 17, SYSCALL = 24, ARCH_PRCTL = 30, SYSEMU = 31, SYSEMU_SINGLESTEP = 32,
        SETOPTIONS = 0x4200, GETEVENTMSG = 0x4201, GETSIGINFO = 0x4202, SETSIGINFO = 0x4203,
        GETREGSET = 0x4204, SETREGSET = 0x4205, SEIZE = 0x4206, INTERRUPT = 0x4207, LISTEN = 0x4208,
        GETSIGMASK = 0x420a, SETSIGMASK = 0x420b, GET_SYSCALL_INFO = 0x420e;

    public const int O_TRACESYSGOOD = 1, O_TRACEFORK = 2, O_TRACEVFORK = 4, O_TRACECLONE = 8, O_TRACEEXEC = 0x10,
        O_TRACEVFORKDONE = 0x20, O_TRACEEXIT = 0x40, O_TRACESECCOMP = 0x80, O_EXITKILL = 0x100000,
        O_SUSPEND_SECCOMP = 0x200000;

    /// <summary>The options this Sentry implements (TRACESECCOMP and SUSPEND_SECCOMP are refused with EINVAL).</summary>
    public const int SupportedOptions = O_TRACESYSGOOD | O_TRACEFORK | O_TRACEVFORK | O_TRACECLONE | O_TRACEEXEC |
        O_TRACEVFORKDONE | O_TRACEEXIT | O_EXITKILL;

    public const int EVENT_FORK = 1, EVENT_VFORK = 2, EVENT_CLONE = 3, EVENT_EXEC = 4, EVENT_VFORK_DONE = 5,
        EVENT_EXIT = 6, EVENT_STOP = 128;

    /// <summary>The option that enables event e (1..6): 1 &lt;&lt; e.</summary>
    public static int OptionFor(int ev) => 1 << ev;

    public const int NT_PRSTATUS = 1, NT_FPREGSET = 2;

    /// <summary>sizeof(struct user_regs_struct), of the FXSAVE area, of struct user; u_debugreg's offset.</summary>
    public const int RegsSize = 27 * 8, FpRegsSize = 512, UserSize = 912, DebugRegOffset = 848;

    /// <summary>Flags a tracer may change (Linux's FLAG_MASK: CF PF AF ZF SF TF DF OF RF AC ID...).</summary>
    public const ulong UserFlags = 0x0025_4DD5;

    public const ulong TaskSizeMax = 0x7FFF_FFFF_F000;
}

/// <summary>How the tracer last resumed a tracee (which stops it asked for on the way).</summary>
public enum PtraceResume { Cont, Syscall, Sysemu, SingleStep }
