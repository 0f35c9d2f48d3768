using Csrunsc.Native;

namespace Csrunsc.Gofer.Server;

/// <summary>
/// THE reviewed list of host syscalls the confined gofer may make (x86-64 numbers). Everything
/// else fails with EPERM (not a kill) so a missing entry shows up as an error. It covers the
/// request handlers and what the .NET runtime needs at run time (GC threads, signals, futexes,
/// memory management, thread creation, timers, epoll). Notably absent: execve/execveat,
/// socket/connect/bind/accept, ptrace, process_vm_*, mount/umount2/pivot_root/chroot,
/// setns/unshare, bpf, kexec_*, init_module, reboot, kill and tkill (tgkill only to this process).
/// clone/clone3 stay allowed because threads need them (clone3's flags cannot be inspected);
/// without execve a forked child can only be another copy of this filtered gofer.
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
        ("sendto", 44), ("recvfrom", 45), ("ioctl", 16), ("fcntl", 72), ("dup", 32), ("dup2", 33),
        ("dup3", 292), ("close_range", 436), ("fsync", 74), ("fdatasync", 75), ("ftruncate", 77),
        ("fallocate", 285), ("fadvise64", 221), ("flock", 73), ("pipe", 22), ("pipe2", 293),
        ("eventfd", 284), ("eventfd2", 290),
        // File system handlers (relative to held fds; the process is chrooted into the rootfs)
        ("open", 2), ("openat", 257), ("stat", 4), ("lstat", 6), ("newfstatat", 262), ("statx", 332),
        ("access", 21), ("faccessat", 269), ("faccessat2", 439), ("getdents64", 217), ("getdents", 78),
        ("readlink", 89), ("readlinkat", 267), ("mkdirat", 258), ("mknodat", 259), ("unlinkat", 263),
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
        ("clone", 56), ("clone3", 435), ("exit", 60), ("exit_group", 231), ("futex", 202),
        ("futex_waitv", 449), ("set_robust_list", 273), ("get_robust_list", 274), ("set_tid_address", 218),
        ("rseq", 334), ("arch_prctl", 158), ("prctl", 157), ("sched_yield", 24),
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

    /// <summary>Syscalls allowed only when their first argument is this process's pid (signals to itself).</summary>
    public static readonly (string name, int nr)[] AllowedToSelf =
    [
        ("tgkill", 234),
    ];

    /// <summary>The errno every other syscall gets.</summary>
    public const int DefaultErrno = Errno.EPERM;

    /// <summary>The filter for a process whose pid is <paramref name="pid"/>.</summary>
    public static SockFilter[] BuildProgram(int pid)
    {
        var rules = new List<(int nr, long? arg0)>(Allowed.Length + 2);
        foreach (var (_, nr) in Allowed) rules.Add((nr, null));
        foreach (var (_, nr) in AllowedToSelf) rules.Add((nr, pid));
        return SeccompFilter.Build(rules, DefaultErrno);
    }
}
