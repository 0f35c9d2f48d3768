using System.Runtime.InteropServices;

namespace Csrunsc.Native;

/// <summary>Process, spawn, wait and signal calls.</summary>
public static unsafe partial class Libc
{
    public const int WNOHANG = 1, WUNTRACED = 2, WCONTINUED = 8, __WALL = 0x40000000, __WNOTHREAD = 0x20000000;
    public const int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7,
        SIGFPE = 8, SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14,
        SIGTERM = 15, SIGSTKFLT = 16, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20, SIGTTIN = 21,
        SIGTTOU = 22, SIGURG = 23, SIGXCPU = 24, SIGXFSZ = 25, SIGVTALRM = 26, SIGPROF = 27, SIGWINCH = 28,
        SIGIO = 29, SIGPWR = 30, SIGSYS = 31;
    public const short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSID = 0x80;
    public const int PR_CAPBSET_READ = 23;
    public const int PR_SET_PDEATHSIG = 1, PR_SET_NAME = 15, PR_SET_NO_NEW_PRIVS = 38, PR_SET_SECCOMP = 22,
        PR_SET_CHILD_SUBREAPER = 36;
    public const int CLONE_NEWNS = 0x00020000, CLONE_NEWUTS = 0x04000000, CLONE_NEWIPC = 0x08000000,
        CLONE_NEWPID = 0x20000000, CLONE_NEWNET = 0x40000000, CLONE_FS = 0x200;

    [LibraryImport(Lib, EntryPoint = "posix_spawn", SetLastError = true)]
    public static partial int PosixSpawn(int* pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);
    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_init")]
    public static partial int SpawnFileActionsInit(void* fa);
    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_destroy")]
    public static partial int SpawnFileActionsDestroy(void* fa);
    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_adddup2")]
    public static partial int SpawnFileActionsAddDup2(void* fa, int fd, int newfd);
    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_addclosefrom_np")]
    public static partial int SpawnFileActionsAddCloseFrom(void* fa, int from);
    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_addchdir_np")]
    public static partial int SpawnFileActionsAddChdir(void* fa, byte* path);
    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_init")]
    public static partial int SpawnAttrInit(void* attr);
    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_destroy")]
    public static partial int SpawnAttrDestroy(void* attr);
    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_setflags")]
    public static partial int SpawnAttrSetFlags(void* attr, short flags);
    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_setsigmask")]
    public static partial int SpawnAttrSetSigMask(void* attr, ulong* sigset);
    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_setsigdefault")]
    public static partial int SpawnAttrSetSigDefault(void* attr, ulong* sigset);

    [LibraryImport(Lib, EntryPoint = "waitpid", SetLastError = true)]
    public static partial int WaitPid(int pid, int* status, int options);
    [LibraryImport(Lib, EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int sig);
    [LibraryImport(Lib, EntryPoint = "tgkill", SetLastError = true)]
    public static partial int TgKill(int tgid, int tid, int sig);
    [LibraryImport(Lib, EntryPoint = "getpid")]
    public static partial int GetPid();
    [LibraryImport(Lib, EntryPoint = "gettid")]
    public static partial int GetTid();
    [LibraryImport(Lib, EntryPoint = "prctl", SetLastError = true)]
    public static partial int Prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);
    [LibraryImport(Lib, EntryPoint = "chroot", SetLastError = true)]
    public static partial int Chroot(byte* path);
    [LibraryImport(Lib, EntryPoint = "chdir", SetLastError = true)]
    public static partial int Chdir(byte* path);
    [LibraryImport(Lib, EntryPoint = "fchdir", SetLastError = true)]
    public static partial int FChdir(int fd);
    [LibraryImport(Lib, EntryPoint = "unshare", SetLastError = true)]
    public static partial int Unshare(int flags);
    [LibraryImport(Lib, EntryPoint = "setsid", SetLastError = true)]
    public static partial int SetSid();
    [LibraryImport(Lib, EntryPoint = "_exit")]
    public static partial void Exit(int status);
    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    public static partial long Syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);
    [LibraryImport(Lib, EntryPoint = "sigprocmask", SetLastError = true)]
    public static partial int SigProcMask(int how, ulong* set, ulong* oldset);
    [LibraryImport(Lib, EntryPoint = "pthread_sigmask")]
    public static partial int PthreadSigMask(int how, ulong* set, ulong* oldset);
    [LibraryImport(Lib, EntryPoint = "clock_gettime", SetLastError = true)]
    public static partial int ClockGetTime(int clock, Timespec* ts);
    [LibraryImport(Lib, EntryPoint = "getrandom", SetLastError = true)]
    public static partial nint GetRandom(byte* buf, nint len, uint flags);
    [LibraryImport(Lib, EntryPoint = "sched_yield")]
    public static partial int SchedYield();

    public static bool WIfExited(int status) => (status & 0x7f) == 0;
    public static int WExitStatus(int status) => (status >> 8) & 0xff;
    public static bool WIfSignaled(int status) => ((status & 0x7f) + 1) >> 1 > 0 && (status & 0x7f) != 0x7f;
    public static int WTermSig(int status) => status & 0x7f;
    public static bool WIfStopped(int status) => (status & 0xff) == 0x7f;
    public static int WStopSig(int status) => (status >> 8) & 0xff;

    /// <summary>waitpid that retries on EINTR (the .NET runtime signals threads for GC suspension).</summary>
    public static int WaitPidRetry(int pid, out int status, int options)
    {
        int st = 0, r;
        do { r = WaitPid(pid, &st, options); } while (r < 0 && LastErrno == Errno.EINTR);
        status = st;
        return r;
    }

    /// <summary>Shell-style exit code of a wait status: the code, or 128+signal.</summary>
    public static int ExitCodeOf(int status) => WIfExited(status) ? WExitStatus(status) : 128 + WTermSig(status);
}

public static unsafe partial class Libc
{
    [LibraryImport(Lib, EntryPoint = "sched_getcpu")]
    public static partial int SchedGetCpu();
    [LibraryImport(Lib, EntryPoint = "sched_setaffinity", SetLastError = true)]
    public static partial int SchedSetAffinity(int pid, nuint size, ulong* mask);
}

public static unsafe partial class Libc
{
    [LibraryImport(Lib, EntryPoint = "sched_getaffinity", SetLastError = true)]
    public static partial int SchedGetAffinity(int pid, nuint size, ulong* mask);
}
