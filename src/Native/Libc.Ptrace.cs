using System.Runtime.InteropServices;

namespace Csrunsc.Native;

/// <summary>ptrace(2) requests and the x86-64 user register set.</summary>
public static unsafe partial class Libc
{
    public const int PTRACE_TRACEME = 0, PTRACE_PEEKDATA = 2, PTRACE_PEEKUSER = 3, PTRACE_POKEDATA = 5, PTRACE_POKEUSER = 6,
        PTRACE_CONT = 7, PTRACE_KILL = 8, PTRACE_GETREGS = 12, PTRACE_SETREGS = 13, PTRACE_GETFPREGS = 14,
        PTRACE_SETFPREGS = 15, PTRACE_ATTACH = 16, PTRACE_DETACH = 17, PTRACE_SYSCALL = 24,
        PTRACE_SYSEMU = 31, PTRACE_SETOPTIONS = 0x4200, PTRACE_GETEVENTMSG = 0x4201,
        PTRACE_GETSIGINFO = 0x4202, PTRACE_GETREGSET = 0x4204, PTRACE_SETREGSET = 0x4205,
        PTRACE_SEIZE = 0x4206, PTRACE_INTERRUPT = 0x4207, PTRACE_LISTEN = 0x4208;
    public const int PTRACE_O_TRACESYSGOOD = 1, PTRACE_O_TRACECLONE = 8, PTRACE_O_EXITKILL = 0x100000;
    public const int PTRACE_EVENT_STOP = 128;

    [LibraryImport(Lib, EntryPoint = "ptrace", SetLastError = true)]
    public static partial long Ptrace(long request, int pid, nint addr, nint data);
}

/// <summary>struct user_regs_struct (sys/user.h), 27 × 8 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct UserRegs
{
    public ulong R15, R14, R13, R12, Rbp, Rbx, R11, R10, R9, R8, Rax, Rcx, Rdx, Rsi, Rdi, OrigRax, Rip,
        Cs, Eflags, Rsp, Ss, FsBase, GsBase, Ds, Es, Fs, Gs;
}

/// <summary>siginfo_t: 128 bytes; the fields the Sentry reads for faults and signals.</summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
public struct SigInfo
{
    [FieldOffset(0)] public int Signo;
    [FieldOffset(4)] public int Errno;
    [FieldOffset(8)] public int Code;
    /// <summary>si_addr for SIGSEGV/SIGBUS/SIGILL/SIGFPE; si_pid for kill().</summary>
    [FieldOffset(16)] public ulong Addr;
    [FieldOffset(16)] public int Pid;
    [FieldOffset(20)] public int Uid;
    /// <summary>si_status for SIGCHLD; si_value for rt signals.</summary>
    [FieldOffset(24)] public int Status;
    [FieldOffset(24)] public ulong Value;
    /// <summary>si_timerid and si_overrun of a POSIX timer's signal (SI_TIMER).</summary>
    [FieldOffset(16)] public int TimerId;
    [FieldOffset(20)] public int Overrun;
    /// <summary>si_utime, si_stime of SIGCHLD (clock ticks).</summary>
    [FieldOffset(32)] public long ChildUtime;
    [FieldOffset(40)] public long ChildStime;
    /// <summary>si_arch of a seccomp SIGSYS (si_call_addr is Addr, si_syscall is Status).</summary>
    [FieldOffset(28)] public uint Arch;
}
