using System.Runtime.CompilerServices;
using Csrunsc.Native;

namespace Csrunsc.Sentry.Platform.Ptrace;

/// <summary>One stub thread traced by the current OS thread with PTRACE_SYSEMU.</summary>
public sealed unsafe class PtraceContext : IContext
{
    private const int SYS_mmap = 9, SYS_munmap = 11, SYS_clone = 56, SYS_exit = 60;

    private readonly PtracePlatform _platform;
    private readonly int _pid;
    private readonly int _tid;
    private readonly bool _isLeader;
    private bool _dead;

    /// <summary>The registers as the tracee has them now (after our last GETREGS/SETREGS).</summary>
    private UserRegs _current;
    private bool _currentValid;

    /// <summary>The CPU the stub thread is bound to: the one its tracer last ran on (-1 until the first switch).</summary>
    private int _stubCpu = -1;

    private const int SysSeccomp = 1; // si_code of a seccomp SIGSYS

    private const int RaxOffset = 10 * 8; // offsetof(struct user, regs.rax)

    internal PtraceContext(PtracePlatform platform, int pid, int tid, bool isLeader)
    {
        _platform = platform;
        _pid = pid;
        _tid = tid;
        _isLeader = isLeader;
    }

    public int HostPid => _pid;
    public int HostTid => _tid;

    public SwitchResult Switch(ref UserRegs regs, out SigInfo info)
    {
        info = default;
        if (_dead) return SwitchResult.Dead;
        KeepStubWithTracer();
        fixed (UserRegs* r = &regs)
        {
            if (!SetRegisters(r)) return Died();
            if (Libc.Ptrace(Libc.PTRACE_SYSEMU, _tid, 0, 0) < 0) return Died();
            int status = WaitStop();
            if (status < 0) return Died();
            if (Libc.Ptrace(Libc.PTRACE_GETREGS, _tid, 0, (nint)r) < 0) return Died();
            _current = *r;
            _currentValid = true;
            int sig = Libc.WStopSig(status);
            if (sig == (Libc.SIGTRAP | 0x80)) return SwitchResult.Syscall;
            if ((status >> 16) != 0) return SwitchResult.Interrupted;
            switch (sig)
            {
                case Libc.SIGSEGV:
                case Libc.SIGBUS:
                case Libc.SIGILL:
                case Libc.SIGFPE:
                case Libc.SIGTRAP:
                    fixed (SigInfo* si = &info) Libc.Ptrace(Libc.PTRACE_GETSIGINFO, _tid, 0, (nint)si);
                    return SwitchResult.Fault;
                case Libc.SIGSYS:
                    // The stub's filter traps the host's vsyscall emulation (the kernel has already
                    // done the `ret`); any other SIGSYS is a stray host signal.
                    fixed (SigInfo* si = &info) Libc.Ptrace(Libc.PTRACE_GETSIGINFO, _tid, 0, (nint)si);
                    if (info.Code == SysSeccomp && info.Addr >= StubFilter.VsyscallBase && info.Addr < StubFilter.VsyscallEnd)
                        return SwitchResult.Vsyscall;
                    info = default;
                    return SwitchResult.Interrupted;
                default:
                    return SwitchResult.Interrupted;
            }
        }
    }

    /// <summary>
    /// Gives the tracee regs with the fewest ptrace requests: none if unchanged, one POKEUSER when
    /// only rax changed (a syscall's result: the common case), SETREGS otherwise.
    /// </summary>
    private bool SetRegisters(UserRegs* r)
    {
        if (_currentValid)
        {
            ulong rax = r->Rax;
            _current.Rax = rax;
            if (new ReadOnlySpan<byte>(r, sizeof(UserRegs)).SequenceEqual(new ReadOnlySpan<byte>(Unsafe.AsPointer(ref _current), sizeof(UserRegs))))
            {
                // Only rax (maybe) differs from the tracee's copy.
                return Libc.Ptrace(Libc.PTRACE_POKEUSER, _tid, RaxOffset, (nint)rax) >= 0;
            }
        }
        if (Libc.Ptrace(Libc.PTRACE_SETREGS, _tid, 0, (nint)r) < 0) return false;
        _current = *r;
        _currentValid = true;
        return true;
    }

    /// <summary>
    /// Keeps the stub on the CPU its tracer runs on, without fixing either: every syscall is a
    /// wake-up ping-pong between the two, which costs about half as much without a CPU hop, but a
    /// pair pinned to one CPU waits behind whatever else runs there (a busy node: futex round trips
    /// 20x slower). The tracer stays free to be moved by the scheduler; the stub follows it at the
    /// next switch (one sched_getcpu per switch, one sched_setaffinity per migration).
    /// </summary>
    private void KeepStubWithTracer()
    {
        int cpu = Libc.SchedGetCpu();
        if (cpu == _stubCpu || cpu < 0 || cpu >= MaxCpus) return;
        ulong* mask = stackalloc ulong[MaxCpus / 64];
        new Span<ulong>(mask, MaxCpus / 64).Clear();
        mask[cpu / 64] = 1UL << (cpu % 64);
        // A CPU outside the stub's cpuset is refused: then it runs where the host lets it (no retry per switch).
        Libc.SchedSetAffinity(_tid, MaxCpus / 8, mask);
        _stubCpu = cpu;
    }

    private const int MaxCpus = 1024;

    /// <summary>Waits for the next stop of our tracee; returns the wait status, or -1 if it is gone.</summary>
    private int WaitStop()
    {
        int r = Libc.WaitPidRetry(_tid, out int status, Libc.__WALL);
        if (r != _tid || !Libc.WIfStopped(status)) return -1;
        return status;
    }

    private SwitchResult Died()
    {
        _dead = true;
        return SwitchResult.Dead;
    }

    /// <summary>Runs one host syscall inside the stub and returns its result (or -errno).</summary>
    private long Inject(ulong site, long nr, ulong a1, ulong a2, ulong a3, ulong a4, ulong a5, ulong a6)
    {
        if (_dead) return -Errno.ESRCH;
        UserRegs regs = default;
        if (Libc.Ptrace(Libc.PTRACE_GETREGS, _tid, 0, (nint)(&regs)) < 0) return -Errno.ESRCH;
        _currentValid = false;
        StubMode(ref regs);
        regs.Rip = site;
        regs.Rax = (ulong)nr;
        regs.OrigRax = ulong.MaxValue;
        regs.Rdi = a1;
        regs.Rsi = a2;
        regs.Rdx = a3;
        regs.R10 = a4;
        regs.R8 = a5;
        regs.R9 = a6;
        if (Libc.Ptrace(Libc.PTRACE_SETREGS, _tid, 0, (nint)(&regs)) < 0) return -Errno.ESRCH;
        while (true)
        {
            if (Libc.Ptrace(Libc.PTRACE_CONT, _tid, 0, 0) < 0) return -Errno.ESRCH;
            int status = WaitStop();
            if (status < 0)
            {
                _dead = true;
                return -Errno.ESRCH;
            }
            int sig = Libc.WStopSig(status);
            if (sig == Libc.SIGTRAP && (status >> 16) == 0) break;
            if ((status >> 16) == 0 && sig is Libc.SIGSEGV or Libc.SIGBUS or Libc.SIGILL or Libc.SIGFPE or Libc.SIGSYS)
            {
                // The stub's own code faulted: its state is not what the Sentry set up. Continuing
                // would re-run the fault forever; the address space is lost, so end it.
                Libc.Kill(_pid, Libc.SIGKILL);
                _dead = true;
                return -Errno.ESRCH;
            }
            // Interrupt signals (or event stops) arriving meanwhile are suppressed; callers re-check.
        }
        if (Libc.Ptrace(Libc.PTRACE_GETREGS, _tid, 0, (nint)(&regs)) < 0) return -Errno.ESRCH;
        return (long)regs.Rax;
    }

    private const ulong UserCs64 = 0x33, UserDs = 0x2b, FlagsReserved = 0x2, FlagsIf = 0x200;

    /// <summary>
    /// The stub's code runs in 64-bit mode with plain flags, whatever the guest left: a guest in the
    /// 32-bit code segment (a far jump to CS 0x23) would otherwise run the injected `syscall` in
    /// compatibility mode (#UD on Intel, a fault at a truncated address elsewhere), and TF, DF or AC
    /// would trap or misbehave. The guest's own values come back with its registers at the next switch.
    /// </summary>
    private static void StubMode(ref UserRegs regs)
    {
        regs.Cs = UserCs64;
        regs.Ss = UserDs;
        regs.Eflags = FlagsReserved | FlagsIf;
    }

    public int Map(ulong addr, ulong length, int prot, long fileOffset)
    {
        long r = Inject(_platform.Image.SyscallSite, SYS_mmap, addr, length, (ulong)prot,
            (ulong)(Libc.MAP_SHARED | Libc.MAP_FIXED), StubImage.MemoryFileFd, (ulong)fileOffset);
        return r < 0 && r > -4096 ? (int)r : 0;
    }

    public int Unmap(ulong addr, ulong length) =>
        (int)Inject(_platform.Image.SyscallSite, SYS_munmap, addr, length, 0, 0, 0, 0);

    public int PrepareThread(out ThreadHandle handle)
    {
        long tid = Inject(_platform.Image.CloneSite, SYS_clone, StubImage.CloneThreadFlags, 0, 0, 0, 0, 0);
        handle = new ThreadHandle(_pid, (int)tid);
        return tid < 0 ? (int)tid : 0;
    }

    public int GetFpState(Span<byte> fxsave)
    {
        if (fxsave.Length < 512) return -Errno.EINVAL;
        fixed (byte* p = fxsave) return Libc.Ptrace(Libc.PTRACE_GETFPREGS, _tid, 0, (nint)p) < 0 ? -Libc.LastErrno : 0;
    }

    public int SetFpState(ReadOnlySpan<byte> fxsave)
    {
        if (fxsave.Length < 512) return -Errno.EINVAL;
        fixed (byte* p = fxsave) return Libc.Ptrace(Libc.PTRACE_SETFPREGS, _tid, 0, (nint)p) < 0 ? -Libc.LastErrno : 0;
    }

    public void Interrupt()
    {
        // A signal to a traced thread always stops it for the tracer, which suppresses it.
        if (!_dead) Libc.TgKill(_pid, _tid, Libc.SIGURG);
    }

    public void Release(bool lastInAddressSpace)
    {
        if (lastInAddressSpace) _platform.DeathWatch.Forget(_pid);
        if (_dead)
        {
            Libc.WaitPidRetry(_tid, out _, Libc.__WALL | Libc.WNOHANG);
            return;
        }
        _dead = true;
        if (lastInAddressSpace)
        {
            Libc.Kill(_pid, Libc.SIGKILL);
            // Reap every stub thread we trace, then the process itself.
            while (Libc.WaitPidRetry(_tid, out int st, Libc.__WALL) == _tid && Libc.WIfStopped(st)) { }
            if (_tid != _pid) Libc.WaitPidRetry(_pid, out _, Libc.__WALL);
            return;
        }
        if (_isLeader)
        {
            // A thread-group leader's exit is only reported once the whole group is gone: park it
            // in pause() and detach (without EXITKILL, so our OS thread may end).
            UserRegs regs = default;
            Libc.Ptrace(Libc.PTRACE_GETREGS, _tid, 0, (nint)(&regs));
            StubMode(ref regs);
            regs.Rip = _platform.Image.ParkSite;
            regs.OrigRax = ulong.MaxValue;
            Libc.Ptrace(Libc.PTRACE_SETREGS, _tid, 0, (nint)(&regs));
            Libc.Ptrace(Libc.PTRACE_SETOPTIONS, _tid, 0, Libc.PTRACE_O_TRACESYSGOOD);
            Libc.Ptrace(Libc.PTRACE_DETACH, _tid, 0, 0);
            return;
        }
        // Other threads simply exit.
        _dead = false;
        Inject(_platform.Image.SyscallSite, SYS_exit, 0, 0, 0, 0, 0, 0);
        _dead = true;
        Libc.WaitPidRetry(_tid, out _, Libc.__WALL);
    }
}
