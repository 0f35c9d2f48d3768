using Csrunsc.Native;
using Csrunsc.Sentry.Syscalls.Memory;
using Csrunsc.Sentry.Syscalls.Process;
using Csrunsc.Sentry.Syscalls.Signal;
using Csrunsc.Sentry.Syscalls.Time;

namespace Csrunsc.Sentry.Syscalls;

/// <summary>The table itself: every implemented x86-64 syscall with its support level.</summary>
public static partial class SyscallTable
{
    private static void RegisterAll()
    {
        RegisterFile();
        RegisterSocket();
        RegisterIpc();
        RegisterNuma();

        // Memory
        Partial(9, "mmap", SysMemory.Mmap, "MAP_SHARED pages are shared by every mapping of the file; they reach the file on msync, munmap and read(), not continuously; MAP_32BIT places the mapping in [1 GiB, 2 GiB) as x86-64 Linux; a hint whose range wraps or passes the top is ignored");
        Full(10, "mprotect", SysMemory.Mprotect);
        Full(11, "munmap", SysMemory.Munmap);
        Full(12, "brk", SysMemory.Brk);
        Partial(25, "mremap", SysMemory.Mremap, "moves by copying");
        Full(26, "msync", SysMemory.Msync);
        Partial(27, "mincore", SysMemory.Mincore, "reports every mapped page resident");
        Partial(28, "madvise", SysMemory.Madvise, "DONTNEED/DONTNEED_LOCKED drop private pages (zeros, or the file again), REMOVE punches the shared backing, DONTFORK/DOFORK and WIPEONFORK/KEEPONFORK change fork, FREE is kept (allowed), POPULATE_* check the protection without faulting in; paging hints (WILLNEED, COLD, PAGEOUT, MERGEABLE, HUGEPAGE, COLLAPSE, DONTDUMP...) accepted without effect; GUARD_INSTALL/REMOVE answer EINVAL (pre-6.13), HWPOISON/SOFT_OFFLINE EPERM or EINVAL");
        Partial(149, "mlock", SysMlock.Mlock, "VM_LOCKED counted against RLIMIT_MEMLOCK (EPERM at 0, ENOMEM beyond and for PROT_NONE; CAP_IPC_LOCK lifts it), VmLck, msync(MS_INVALIDATE) EBUSY and MADV_DONTNEED/FREE EINVAL on it; mremap does not carry the lock; pins nothing (the memory file is never swapped)");
        Partial(150, "munlock", SysMlock.Munlock, "as mlock");
        Partial(151, "mlockall", SysMlock.Mlockall, "MCL_CURRENT (ENOMEM when the address space exceeds RLIMIT_MEMLOCK), MCL_FUTURE (later mmaps locked, EAGAIN beyond the limit; brk and mremap growth are not checked), MCL_ONFAULT as a plain lock; not inherited by fork");
        Partial(152, "munlockall", SysMlock.Munlockall, "as mlockall");
        Partial(325, "mlock2", SysMlock.Mlock2, "as mlock; MLOCK_ONFAULT a plain lock, other flags EINVAL");

        // Signals
        Full(13, "rt_sigaction", SysSignal.RtSigaction);
        Full(14, "rt_sigprocmask", SysSignal.RtSigprocmask);
        Full(15, "rt_sigreturn", SysSignal.RtSigreturn);
        Full(219, "restart_syscall", SysRestart.RestartSyscall); // resumes nanosleep, clock_nanosleep, poll (Kernel/RestartBlock.cs)
        Full(34, "pause", SysSignal.Pause);
        Full(62, "kill", SysSignal.Kill); // permission as check_kill_permission; stop/continue semantics in Kernel/KernelJobControl.cs
        Full(127, "rt_sigpending", SysSignal.RtSigpending);
        Full(128, "rt_sigtimedwait", SysSignal.RtSigtimedwait);
        Full(129, "rt_sigqueueinfo", SysSignal.RtSigqueueinfo);
        Full(297, "rt_tgsigqueueinfo", SysSignal.RtTgsigqueueinfo);
        Full(282, "signalfd", SysSignalFd.Signalfd);
        Full(289, "signalfd4", SysSignalFd.Signalfd4);
        Full(130, "rt_sigsuspend", SysSignal.RtSigsuspend);
        Full(131, "sigaltstack", SysSignal.Sigaltstack);
        Full(200, "tkill", SysSignal.Tkill);
        Full(234, "tgkill", SysSignal.Tgkill);

        // Processes and threads
        Full(39, "getpid", SysIdentity.GetPid);
        Full(56, "clone", SysLifecycle.Clone);
        Full(57, "fork", SysLifecycle.Fork);
        Full(58, "vfork", SysLifecycle.Vfork);
        Partial(59, "execve", SysLifecycle.Execve, "set-user/group-ID bits honoured (not under no_new_privs, on nosuid mounts, or for #! scripts; downgraded under a tracer without CAP_SYS_PTRACE or when the fs context is shared with another process); file capabilities only from tmpfs (the gofer serves no security.capability, so rootfs and bind-mount files never carry them)");
        Full(60, "exit", SysLifecycle.Exit);
        Partial(61, "wait4", SysLifecycle.Wait4, "rusage has ru_utime/ru_stime only");
        Full(63, "uname", SysSystem.Uname);
        Full(95, "umask", SysIdentity.Umask);
        Partial(97, "getrlimit", SysRlimit.GetRlimit, "enforced: NOFILE, FSIZE, NPROC, AS, MSGQUEUE (mq_open), CPU (SIGXCPU each second from soft, SIGKILL at hard, on a 10 ms CPU tick), SIGPENDING (per real uid in the sandbox; each POSIX timer holds one from timer_create to its deletion, as Linux preallocates its signal), MEMLOCK (mlock family, MAP_LOCKED; not brk/mremap growth under MCL_FUTURE), STACK (the stack mapped at exec is min(soft limit, 8 MiB), it grows down on faults up to the soft limit then in force; a limit lowered below the already-mapped part is not enforced there, Sentry-side copies below the stack do not grow it; the mmap base does not move with the limit); DATA recorded only; unconfigured limits start at Linux defaults, not the runtime's own");
        Partial(98, "getrusage", SysSystem.Getrusage, "ru_utime/ru_stime from the Sentry's accounting (user = time in guest code, system = the task thread's CPU time); ru_maxrss is the current resident size (0 for RUSAGE_CHILDREN); other fields 0");
        Full(99, "sysinfo", SysSystem.Sysinfo);
        Full(100, "times", SysSystem.Times);
        Full(102, "getuid", SysIdentity.GetUid);
        Full(104, "getgid", SysIdentity.GetGid);
        Full(105, "setuid", SysCredentials.SetUid);
        Full(106, "setgid", SysCredentials.SetGid);
        Full(107, "geteuid", SysIdentity.GetEuid);
        Full(108, "getegid", SysIdentity.GetEgid);
        Full(109, "setpgid", SysIdentity.SetPgid);
        Full(110, "getppid", SysIdentity.GetPpid);
        Full(111, "getpgrp", SysIdentity.GetPgrp);
        Full(112, "setsid", SysIdentity.SetSid);
        Full(113, "setreuid", SysCredentials.SetReUid);
        Full(114, "setregid", SysCredentials.SetReGid);
        Full(115, "getgroups", SysCredentials.GetGroups);
        Full(116, "setgroups", SysCredentials.SetGroups);
        Full(117, "setresuid", SysCredentials.SetResUid);
        Full(118, "getresuid", SysCredentials.GetResUid);
        Full(119, "setresgid", SysCredentials.SetResGid);
        Full(120, "getresgid", SysCredentials.GetResGid);
        Full(121, "getpgid", SysIdentity.GetPgid);
        Full(122, "setfsuid", SysCredentials.SetFsUid);
        Full(123, "setfsgid", SysCredentials.SetFsGid);
        Full(124, "getsid", SysIdentity.GetSid);
        Partial(125, "capget", SysCapability.Capget, "capability sets are per process, not per thread");
        Partial(126, "capset", SysCapability.Capset, "changes the whole process's sets (Linux: the calling thread's)");
        Partial(135, "personality", SysSystem.Personality, "PER_LINUX with or without ADDR_NO_RANDOMIZE (layouts are never randomized); other personas and flags EINVAL");
        Partial(157, "prctl", SysPrctl.Prctl, "NAME, PDEATHSIG (fires when the forking thread exits; cleared by a change of effective/fs ids and by a secure execve), DUMPABLE, CHILD_SUBREAPER, KEEPCAPS, SECUREBITS, NO_NEW_PRIVS (per task as PFA_NO_NEW_PRIVS: inherited by clone, kept by execve, carried by seccomp TSYNC; initially config.json's noNewPrivileges), CAPBSET_READ/DROP, CAP_AMBIENT, SET_PTRACER (Yama scope 1 exception: the named process or its descendants, or ANY, may attach); SET_VMA ignored; GET/SET_SECCOMP (see seccomp); others EINVAL");
        Full(158, "arch_prctl", SysSystem.ArchPrctl);
        Partial(160, "setrlimit", SysRlimit.SetRlimit, "as getrlimit: NOFILE, FSIZE, NPROC, AS, MSGQUEUE, CPU, SIGPENDING, MEMLOCK, STACK enforced; DATA for brk only; NICE for setpriority; CORE kept but no core file is ever written (so no wait status has the core flag); RSS, RTPRIO, RTTIME, LOCKS kept, not enforced");
        Full(170, "sethostname", SysSystem.SetHostname);
        Full(171, "setdomainname", SysSystem.SetDomainname);
        Full(186, "gettid", SysIdentity.GetTid);
        Partial(202, "futex", SysFutex.Futex, "no PI futexes; shared futexes keyed per address space");
        Partial(204, "sched_getaffinity", SysSystem.SchedGetaffinity, "all host CPUs");
        Partial(203, "sched_setaffinity", SysSystem.Zero, "ignored");
        Full(218, "set_tid_address", SysSystem.SetTidAddress);
        Full(231, "exit_group", SysLifecycle.ExitGroup);
        Partial(247, "waitid", SysLifecycle.Waitid, "rusage zero");
        Partial(101, "ptrace", SysPtrace.Ptrace, "emulated by the Sentry for guest tracers: TRACEME, ATTACH, SEIZE, INTERRUPT, LISTEN, DETACH, KILL, CONT/SYSCALL/SYSEMU/SINGLESTEP with signal injection, PEEK/POKE TEXT/DATA/USER, GET/SETREGS, GET/SETFPREGS, GET/SETREGSET (NT_PRSTATUS, NT_FPREGSET), GET/SETSIGINFO, GET/SETSIGMASK, GETEVENTMSG, ARCH_PRCTL, GET_SYSCALL_INFO; options TRACESYSGOOD/FORK/VFORK/VFORKDONE/CLONE/EXEC/EXIT/EXITKILL. EIO: SYSEMU_SINGLESTEP, SINGLEBLOCK, PEEKSIGINFO, SECCOMP_GET_FILTER; EINVAL: TRACESECCOMP, SUSPEND_SECCOMP, NT_X86_XSTATE; hardware debug registers only accept 0. The tracer is the tracing process (any of its threads may command), and a traced leader's exit is reported when it exits, not once its group is empty");
        Partial(310, "process_vm_readv", SysProcessVm.Readv, "partial transfers stop at page granularity on the remote side");
        Partial(311, "process_vm_writev", SysProcessVm.Writev, "partial transfers stop at page granularity on the remote side");
        Full(273, "set_robust_list", SysSystem.SetRobustList);
        Full(274, "get_robust_list", SysSystem.GetRobustList);
        Partial(302, "prlimit64", SysRlimit.Prlimit64, "as getrlimit: NOFILE, FSIZE, NPROC, AS, MSGQUEUE, CPU, SIGPENDING, MEMLOCK, STACK enforced; DATA for brk only; NICE for setpriority; CORE kept but no core file is ever written (so no wait status has the core flag); RSS, RTPRIO, RTTIME, LOCKS kept, not enforced");
        Full(309, "getcpu", SysSystem.Getcpu);
        Full(318, "getrandom", SysSystem.Getrandom);
        Partial(322, "execveat", SysLifecycle.Execveat, "as execve");
        Partial(435, "clone3", SysLifecycle.Clone3, "checks as clone3_args_valid, CLONE_PIDFD and CLONE_CLEAR_SIGHAND supported; set_tid answers EPERM, CLONE_INTO_CGROUP EOPNOTSUPP, CLONE_NEWTIME EPERM (refused, not ignored)");
        Partial(434, "pidfd_open", SysPidFd.PidfdOpen, "PIDFD_NONBLOCK only (PIDFD_THREAD: EINVAL); no pidfd_getfd");
        Partial(424, "pidfd_send_signal", SysPidFd.PidfdSendSignal, "flags must be 0 (PIDFD_SIGNAL_THREAD/_THREAD_GROUP/_PROCESS_GROUP of Linux 6.9: EINVAL)");
        Partial(24, "sched_yield", SysSystem.Zero, "returns at once");
        Partial(140, "getpriority", SysPriority.GetPriority, "per-thread nice recorded and reported (20 - nice); the host scheduler does not see it");
        Partial(141, "setpriority", SysPriority.SetPriority, "permission and RLIMIT_NICE rules as Linux; the host scheduler does not see it");
        Partial(143, "sched_getparam", SysSystem.SchedGetParam, "SCHED_OTHER only");
        Partial(145, "sched_getscheduler", SysSystem.Zero, "SCHED_OTHER only");
        Partial(144, "sched_setscheduler", SysSystem.Zero, "ignored");
        Partial(146, "sched_get_priority_max", SysSystem.Zero, "SCHED_OTHER only");
        Partial(147, "sched_get_priority_min", SysSystem.Zero, "SCHED_OTHER only");

        // Time
        Full(35, "nanosleep", SysTime.Nanosleep); // interrupted: time left written, then EINTR after a handler or restart_syscall without one
        Full(96, "gettimeofday", SysTime.Gettimeofday);
        Full(201, "time", SysTime.Time);
        Partial(228, "clock_gettime", SysTime.ClockGettime, "CPU-time clocks: user time is wall time in guest code, system time the task thread's CPU time (gVisor's accounting); CLOCK_TAI = REALTIME");
        Full(229, "clock_getres", SysTime.ClockGetres);
        Partial(230, "clock_nanosleep", SysTime.ClockNanosleep, "process CPU clocks are checked every 10 ms (a CPU-clock sleep ends up to 10 ms late); interrupted sleeps resume through restart_syscall as in Linux");
        Full(37, "alarm", SysTimers.Alarm);
        Full(36, "getitimer", SysTimers.Getitimer);
        Partial(38, "setitimer", SysTimers.Setitimer, "ITIMER_VIRTUAL/PROF fire on a 10 ms CPU tick, on the Sentry's CPU accounting");
        Full(222, "timer_create", SysTimers.TimerCreate);
        Full(223, "timer_settime", SysTimers.TimerSettime);
        Full(224, "timer_gettime", SysTimers.TimerGettime);
        Full(225, "timer_getoverrun", SysTimers.TimerGetoverrun);
        Full(226, "timer_delete", SysTimers.TimerDelete);
        Partial(283, "timerfd_create", SysTimerFd.Create, "TFD_IOC_SET_TICKS not supported (ENOTTY)");
        Full(286, "timerfd_settime", SysTimerFd.Settime);
        Full(287, "timerfd_gettime", SysTimerFd.Gettime);

        // Deliberate errors
        Error(334, "rseq", Errno.ENOSYS, "glibc falls back without it");
        Partial(165, "mount", Csrunsc.Sentry.Syscalls.File.SysMount.Mount, "a new devpts instance (newinstance, mode=, ptmxmode=, gid=; uid= and max= EINVAL) over a directory, stacked, with MS_RDONLY/NOSUID/NODEV/NOEXEC/atime flags, CAP_SYS_ADMIN; other types, remount, bind, move and propagation changes EPERM (the rest of the mount table is made at start)");
        Partial(166, "umount2", Csrunsc.Sentry.Syscalls.File.SysMount.Umount2, "any mount of the container but /: CAP_SYS_ADMIN, EINVAL off a mount root, EBUSY while open files, cwds, roots or mounts below use it (memory mappings are not counted), MNT_DETACH takes those along, MNT_EXPIRE marks then unmounts (uses do not clear the mark), MNT_FORCE as a plain unmount, UMOUNT_NOFOLLOW");
        Partial(272, "unshare", Csrunsc.Sentry.Syscalls.Ipc.SysUnshare.Unshare, "CLONE_FILES, CLONE_FS, CLONE_NEWIPC (CAP_SYS_ADMIN) and CLONE_SYSVSEM; other namespaces (NEWNS/UTS/PID/USER/NET/CGROUP/TIME) and CLONE_THREAD/SIGHAND/VM: EPERM");
        Error(308, "setns", Errno.EPERM, "no nested namespaces");
        Error(169, "reboot", Errno.EPERM, "not allowed");
        Partial(317, "seccomp", SysSeccomp.Seccomp, "classic-BPF filters evaluated by the Sentry before dispatch, stacked, inherited, TSYNC/LOG/SPEC_ALLOW, GET_ACTION_AVAIL, strict mode; NEW_LISTENER and GET_NOTIF_SIZES EOPNOTSUPP (no user notification); TRACE answers ENOSYS (no seccomp tracer); gaps: vsyscall-page calls bypass the filters, the container's first program load is not checked as an execve, LOG goes to the Sentry event log (no audit)");
        Error(324, "membarrier", Errno.ENOSYS, "callers fall back");
        Error(425, "io_uring_setup", Errno.ENOSYS, "not implemented");
        Error(206, "io_setup", Errno.ENOSYS, "not implemented");
    }
}
