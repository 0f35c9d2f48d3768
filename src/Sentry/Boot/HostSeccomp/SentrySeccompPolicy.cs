using Csrunsc.Gofer.Server;
using Csrunsc.Native;

namespace Csrunsc.Sentry.Boot.HostSeccomp;

/// <summary>
/// THE host syscalls the Sentry process may make once set-up is done (x86-64 numbers), derived
/// from tracing real runs (perf record -e raw_syscalls:sys_enter of the sandbox process under the
/// test programs: threads, fork, the syscall fuzzer, sockets, ptys, SysV/POSIX IPC, locks, job
/// control) plus what those runs could not show but the code does (marked "not traced"). The
/// stubs inherit it (seccomp filters stack), so it also covers what a stub runs: its own filter
/// set-up, PTRACE_TRACEME, pause, and the vsyscall page's time calls. Opt-in
/// (<see cref="SentrySeccomp"/>): the .NET runtime's needs on every host are not proven yet.
/// Argument rules:
///   ptrace only the requests the ptrace platform makes;
///   futex only wait/wake/requeue/wake-op/bitset (no PI, no FUTEX_FD);
///   mmap and mprotect never with PROT_EXEC (NativeAOT: no JIT, all code is mapped at start-up),
///     except mmap(MAP_SHARED|MAP_FIXED) of fd 3, the stubs' injected mapping of guest memory;
///   clone only of a thread, or posix_spawn's CLONE_VM|CLONE_VFORK|SIGCHLD of a stub; clone3 → ENOSYS (glibc falls back to clone);
///   ioctl only terminal/FIO* (type 'T', 0x54xx) and socket (0x89xx) requests;
///   socket only AF_UNIX, and AF_INET/AF_INET6/AF_NETLINK/AF_PACKET when the guest has a network.
/// execve stays: posix_spawn of the stub is how a task gets its address space, and the Sentry's
/// chroot holds only /stub (no_new_privs, so nothing gains privileges by it).
/// </summary>
public static class SentrySeccompPolicy
{
    /// <summary>Syscalls allowed with any arguments.</summary>
    public static readonly (string name, int nr)[] Allowed =
    [
        // I/O on held fds: guest files (donated by the gofer), the memory file, ptys, sockets, pipes
        ("read", 0), ("write", 1), ("close", 3), ("fstat", 5), ("poll", 7), ("lseek", 8), ("pread64", 17),
        ("pwrite64", 18), ("readv", 19), ("writev", 20), ("preadv", 295), ("pwritev", 296), ("ppoll", 271),
        ("dup", 32), ("dup2", 33), ("dup3", 292), ("fcntl", 72), ("flock", 73), ("fsync", 74), ("fdatasync", 75),
        ("ftruncate", 77), ("fallocate", 285), ("copy_file_range", 326), ("close_range", 436), ("pipe2", 293),
        ("eventfd2", 290), ("newfstatat", 262), ("statx", 332), ("getdents64", 217), ("openat", 257),
        ("readlinkat", 267), ("fstatfs", 138), ("splice", 275), ("sendfile", 40),
        ("epoll_create1", 291), ("epoll_ctl", 233), ("epoll_wait", 232), ("epoll_pwait", 281), ("epoll_pwait2", 441),
        ("timerfd_create", 283), ("timerfd_settime", 286), ("timerfd_gettime", 287),
        ("pidfd_open", 434), // StubDeathWatch: a pidfd per stub process
        // Sockets of the guest, the control socket and the gofer channel
        ("connect", 42), ("accept", 43), ("sendto", 44), ("recvfrom", 45), ("sendmsg", 46), ("recvmsg", 47),
        ("shutdown", 48), ("bind", 49), ("listen", 50), ("getsockname", 51), ("getpeername", 52),
        ("socketpair", 53), ("setsockopt", 54), ("getsockopt", 55), ("accept4", 288), ("recvmmsg", 299), ("sendmmsg", 307),
        // Memory
        ("munmap", 11), ("brk", 12), ("mremap", 25), ("msync", 26), ("mincore", 27), ("madvise", 28),
        ("membarrier", 324),
        // Signals
        ("rt_sigaction", 13), ("rt_sigprocmask", 14), ("rt_sigreturn", 15), ("rt_sigpending", 127),
        ("rt_sigtimedwait", 128), ("rt_sigsuspend", 130), ("sigaltstack", 131), ("restart_syscall", 219),
        ("kill", 62), ("tgkill", 234), ("tkill", 200),
        // Threads, stubs, scheduling
        ("execve", 59), ("exit", 60), ("wait4", 61), ("waitid", 247), ("exit_group", 231), ("pause", 34),
        ("set_robust_list", 273), ("get_robust_list", 274), ("set_tid_address", 218), ("rseq", 334),
        ("arch_prctl", 158), ("prctl", 157), ("seccomp", 317), ("sched_yield", 24), ("sched_getaffinity", 204),
        ("sched_setaffinity", 203), ("sched_getparam", 143), ("sched_getscheduler", 145), ("getpriority", 140),
        ("setpriority", 141), ("getcpu", 309), ("nanosleep", 35), ("clock_nanosleep", 230),
        // Identity, limits, time (the vsyscall page's gettimeofday/time/getcpu come from stubs)
        ("getpid", 39), ("gettid", 186), ("getppid", 110), ("getuid", 102), ("geteuid", 107), ("getgid", 104),
        ("getegid", 108), ("getresuid", 118), ("getresgid", 120), ("getgroups", 115), ("capget", 125),
        ("getrlimit", 97), ("prlimit64", 302), ("getrusage", 98), ("uname", 63), ("sysinfo", 99), ("times", 100),
        ("getrandom", 318), ("clock_gettime", 228), ("clock_getres", 229), ("gettimeofday", 96), ("time", 201),
    ];

    private const uint PROT_EXEC = 4, MAP_SHARED = 1, MAP_FIXED = 0x10;
    private const int StubMemoryFd = 3;
    private const uint CLONE_VM = 0x100, CLONE_THREAD = 0x10000, CLONE_VFORK = 0x4000, SIGCHLD = 17;
    private const uint FUTEX_CMD_MASK = 0x7F; // without FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME
    private const uint AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10, AF_NETLINK = 16, AF_PACKET = 17;

    /// <summary>The ptrace requests of Platform/Ptrace (and the stub's PTRACE_TRACEME).</summary>
    private static readonly int[] PtraceRequests =
    [
        Libc.PTRACE_TRACEME, Libc.PTRACE_PEEKDATA, Libc.PTRACE_PEEKUSER, Libc.PTRACE_POKEDATA, Libc.PTRACE_POKEUSER,
        Libc.PTRACE_CONT, Libc.PTRACE_KILL, Libc.PTRACE_GETREGS, Libc.PTRACE_SETREGS, Libc.PTRACE_GETFPREGS,
        Libc.PTRACE_SETFPREGS, Libc.PTRACE_DETACH, Libc.PTRACE_SYSCALL, Libc.PTRACE_SYSEMU, Libc.PTRACE_SETOPTIONS,
        Libc.PTRACE_GETEVENTMSG, Libc.PTRACE_GETSIGINFO, Libc.PTRACE_GETREGSET, Libc.PTRACE_SETREGSET,
        Libc.PTRACE_SEIZE, Libc.PTRACE_INTERRUPT, Libc.PTRACE_LISTEN,
    ];

    /// <summary>Syscalls allowed only with the arguments described above.</summary>
    public static SyscallRule[] Conditional(bool network) =>
    [
        new("ptrace", 101, [.. PtraceRequests.Select(r => new[] { new ArgCheck(0, uint.MaxValue, (uint)r) })]),
        new("futex", 202, [.. new uint[] { 0, 1, 3, 4, 5, 9, 10 }.Select(op => new[] { new ArgCheck(1, FUTEX_CMD_MASK, op) })]),
        // The stubs inherit this filter: their injected mmap of the memory file (fd 3 there) carries the guest's PROT_EXEC.
        new("mmap", 9, [[new(2, PROT_EXEC, 0)], [new(3, uint.MaxValue, MAP_SHARED | MAP_FIXED), .. ArgCheck.Equals64(4, StubMemoryFd)]]),
        new("mprotect", 10, [[new(2, PROT_EXEC, 0)]]),
        new("clone", 56, [[new(0, CLONE_VM | CLONE_THREAD, CLONE_VM | CLONE_THREAD)],
            [new(0, uint.MaxValue, CLONE_VM | CLONE_VFORK | SIGCHLD)]]),
        new("clone3", 435, Errno: Errno.ENOSYS),
        // The .NET runtime unlinks its diagnostics IPC socket (created on the host before the chroot)
        // at exit: refused, the file is beyond the chroot anyway (`csrunsc delete` removes the state dir).
        new("unlink", 87, Errno: Errno.EPERM),
        new("ioctl", 16, [[new(1, 0xFF00, 0x5400)], [new(1, 0xFF00, 0x8900)]]),
        new("socket", 41, network
            ? [[new(0, uint.MaxValue, AF_UNIX)], [new(0, uint.MaxValue, AF_INET)], [new(0, uint.MaxValue, AF_INET6)],
               [new(0, uint.MaxValue, AF_NETLINK)], [new(0, uint.MaxValue, AF_PACKET)]]
            : [[new(0, uint.MaxValue, AF_UNIX)]]),
    ];

    /// <summary>Every syscall the policy names (for the header cross-check).</summary>
    public static IEnumerable<(string name, int nr)> Names => Allowed.Concat(Conditional(true).Select(r => (r.Name, r.Nr)));

    /// <summary>The program: a violation kills the process (SIGSYS), or only logs it in <paramref name="logOnly"/> mode.</summary>
    public static SockFilter[] BuildProgram(bool network, bool logOnly)
    {
        var rules = new List<SyscallRule>(Allowed.Length + 8);
        foreach (var (name, nr) in Allowed) rules.Add(new SyscallRule(name, nr));
        rules.AddRange(Conditional(network));
        return SeccompFilter.BuildWithAction(rules, logOnly ? SeccompFilter.SECCOMP_RET_LOG : SeccompFilter.SECCOMP_RET_KILL_PROCESS);
    }
}
