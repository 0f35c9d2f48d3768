using Csrunsc.Native;

namespace Csrunsc.Gofer.Server;

/// <summary>
/// THE reviewed list of host syscalls the confined gofer may make (x86-64 numbers). Everything
/// else fails with EPERM (not a kill) so a missing entry shows up as an error. It covers the
/// request handlers and what the .NET runtime needs at run time (GC threads, signals, futexes,
/// memory management, thread creation, timers, epoll). Notably absent: execve/execveat,
/// socket/connect/bind/accept, ptrace, process_vm_*, mount/umount2/pivot_root/chroot,
/// setns/unshare, bpf, kexec_*, init_module, reboot, kill and tkill, and every call that takes a
/// path from the process root (open, stat, lstat, access, readlink): the gofer only opens one
/// component under a held fd. With argument rules (<see cref="Conditional"/>):
///   clone only of a thread (CLONE_VM|CLONE_THREAD): no fork; clone3 answers ENOSYS (its flags sit
///     in memory the filter cannot read) and glibc falls back to clone;
///   openat only with O_NOFOLLOW and without O_TMPFILE (every open the gofer makes adds O_NOFOLLOW);
///   openat2 only with struct open_how's size (its flags are in memory, so containment rests on
///     RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS, <see cref="BeneathOpen"/>, and the chroot);
///   mknodat only of regular files, FIFOs and sockets: never a device node (the Sentry serves /dev);
///   tgkill only to this process; ioctl only FIONBIO/FIOCLEX/FIONCLEX; prctl only thread names,
///     dumpable and no_new_privs queries.
/// Widening this list widens the gofer's attack surface: review every addition.
/// </summary>
public static class GoferSeccompPolicy
{
    /// <summary>Set to 1 to skip installing the filter (debugging only; prints a warning).</summary>
    public const string DisableEnvironmentVariable = "CSRUNSC_GOFER_NO_SECCOMP";

    /// <summary>Syscalls allowed with any arguments.</summary>
    public static readonly (string name, int nr)[] Allowed =
    [
        // I/O on held fds and the gofer socket
        ("read", 0), ("write", 1), ("close", 3), ("fstat", 5), ("poll", 7), ("lseek", 8),
        ("pread64", 17), ("pwrite64", 18), ("readv", 19), ("writev", 20), ("ppoll", 271),
        ("pselect6", 270), ("select", 23), ("sendmsg", 46), ("recvmsg", 47), ("shutdown", 48),
        ("sendto", 44), ("recvfrom", 45), ("fcntl", 72), ("dup", 32), ("dup2", 33),
        ("dup3", 292), ("close_range", 436), ("fsync", 74), ("fdatasync", 75), ("ftruncate", 77),
        ("fallocate", 285), ("fadvise64", 221), ("flock", 73), ("pipe", 22), ("pipe2", 293),
        ("eventfd", 284), ("eventfd2", 290),
        // File system handlers (relative to held fds; the process is chrooted into the rootfs)
        ("newfstatat", 262), ("statx", 332),
        ("faccessat", 269), ("faccessat2", 439), ("getdents64", 217), ("getdents", 78),
        ("readlinkat", 267), ("mkdirat", 258), ("unlinkat", 263),
        ("renameat", 264), ("renameat2", 316), ("symlinkat", 266), ("linkat", 265), ("fchmod", 91),
        ("fchmodat", 268), ("fchmodat2", 452), ("fchown", 93), ("fchownat", 260), ("utimensat", 280),
        ("statfs", 137), ("fstatfs", 138), ("getcwd", 79), ("umask", 95),
        // Memory
        ("mmap", 9), ("mprotect", 10), ("munmap", 11), ("brk", 12), ("mremap", 25), ("msync", 26),
        ("mincore", 27), ("madvise", 28), ("membarrier", 324), ("get_mempolicy", 239), ("mlock", 149),
        ("munlock", 150),
        // Signals
        ("rt_sigaction", 13), ("rt_sigprocmask", 14), ("rt_sigreturn", 15), ("rt_sigpending", 127),
        ("rt_sigtimedwait", 128), ("rt_sigsuspend", 130), ("sigaltstack", 131), ("restart_syscall", 219),
        // Threads and scheduling
        ("exit", 60), ("exit_group", 231), ("futex", 202),
        ("futex_waitv", 449), ("set_robust_list", 273), ("get_robust_list", 274), ("set_tid_address", 218),
        ("rseq", 334), ("arch_prctl", 158), ("sched_yield", 24),
        ("sched_getaffinity", 204), ("sched_setaffinity", 203), ("sched_getparam", 143),
        ("sched_setparam", 142), ("sched_getscheduler", 145), ("sched_setscheduler", 144),
        ("sched_get_priority_max", 146), ("sched_get_priority_min", 147), ("sched_getattr", 315),
        ("sched_setattr", 314), ("getpriority", 140), ("setpriority", 141), ("getcpu", 309),
        // Identity and limits
        ("getpid", 39), ("gettid", 186), ("getppid", 110), ("getpgrp", 111), ("getuid", 102),
        ("geteuid", 107), ("getgid", 104), ("getegid", 108), ("getresuid", 118), ("getresgid", 120),
        ("getgroups", 115), ("getrlimit", 97), ("prlimit64", 302), ("getrusage", 98), ("uname", 63),
        ("sysinfo", 99), ("times", 100), ("getrandom", 318),
        // Time and waiting
        ("clock_gettime", 228), ("clock_getres", 229), ("clock_nanosleep", 230), ("nanosleep", 35),
        ("gettimeofday", 96), ("time", 201), ("epoll_create", 213), ("epoll_create1", 291),
        ("epoll_ctl", 233), ("epoll_wait", 232), ("epoll_pwait", 281), ("epoll_pwait2", 441),
        ("timerfd_create", 283), ("timerfd_settime", 286), ("timerfd_gettime", 287),
    ];

    private const uint CLONE_VM = 0x100, CLONE_THREAD = 0x10000;
    private const uint O_NOFOLLOW = 0x20000, O_TMPFILE_BIT = 0x400000;
    private const uint S_IFMT = 0xF000, S_IFSOCK = 0xC000, S_IFREG = 0x8000, S_IFIFO = 0x1000;
    private const uint FIONBIO = 0x5421, FIONCLEX = 0x5450, FIOCLEX = 0x5451;
    private const uint PR_GET_DUMPABLE = 3, PR_SET_NAME = 15, PR_GET_NAME = 16, PR_GET_NO_NEW_PRIVS = 39;

    /// <summary>Syscalls allowed only with the arguments described above (the pid is this process's).</summary>
    public static SyscallRule[] Conditional(int pid) =>
    [
        new("clone", 56, [[new(0, CLONE_VM | CLONE_THREAD, CLONE_VM | CLONE_THREAD)]]),
        new("clone3", 435, Errno: Errno.ENOSYS),
        new("openat", 257, [[new(2, O_NOFOLLOW | O_TMPFILE_BIT, O_NOFOLLOW)]]),
        new("openat2", 437, [ArgCheck.Equals64(3, BeneathOpen.OpenHowSize)]),
        new("mknodat", 259, [[new(2, S_IFMT, 0)], [new(2, S_IFMT, S_IFREG)], [new(2, S_IFMT, S_IFIFO)], [new(2, S_IFMT, S_IFSOCK)]]),
        new("tgkill", 234, [ArgCheck.Equals64(0, pid)]),
        new("ioctl", 16, [[new(1, uint.MaxValue, FIONBIO)], [new(1, uint.MaxValue, FIONCLEX)], [new(1, uint.MaxValue, FIOCLEX)]]),
        new("prctl", 157, [[new(0, uint.MaxValue, PR_GET_DUMPABLE)], [new(0, uint.MaxValue, PR_SET_NAME)],
            [new(0, uint.MaxValue, PR_GET_NAME)], [new(0, uint.MaxValue, PR_GET_NO_NEW_PRIVS)]]),
    ];

    /// <summary>Every syscall the policy names, with its number (for the header cross-check).</summary>
    public static IEnumerable<(string name, int nr)> Names =>
        Allowed.Concat(Conditional(0).Select(r => (r.Name, r.Nr)));

    /// <summary>The errno every other syscall gets.</summary>
    public const int DefaultErrno = Errno.EPERM;

    /// <summary>The filter for a process whose pid is <paramref name="pid"/>.</summary>
    public static SockFilter[] BuildProgram(int pid)
    {
        var rules = new List<SyscallRule>(Allowed.Length + 8);
        foreach (var (name, nr) in Allowed) rules.Add(new SyscallRule(name, nr));
        rules.AddRange(Conditional(pid));
        return SeccompFilter.Build(rules, DefaultErrno);
    }
}
