using System.Globalization;
using System.Text;

namespace Csrunsc.Sentry.Syscalls.Strace;

/// <summary>
/// Symbolic names for flag words and enumerations, printed as strace prints them
/// ("O_RDONLY|O_CLOEXEC", "PROT_READ|PROT_WRITE", "SIGCHLD", unknown bits as "0x...").
/// </summary>
public static class StraceFlags
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static readonly (ulong Bit, string Name)[] OpenBits =
    [
        (0x400, "O_APPEND"), (0x40, "O_CREAT"), (0x80, "O_EXCL"), (0x100, "O_NOCTTY"), (0x200, "O_TRUNC"),
        (0x800, "O_NONBLOCK"), (0x101000, "O_SYNC"), (0x1000, "O_DSYNC"), (0x2000, "O_ASYNC"), (0x4000, "O_DIRECT"), (0x8000, "O_LARGEFILE"),
        (0x410000, "O_TMPFILE"), (0x10000, "O_DIRECTORY"), (0x20000, "O_NOFOLLOW"), (0x40000, "O_NOATIME"),
        (0x80000, "O_CLOEXEC"), (0x200000, "O_PATH"),
    ];

    public static string Open(ulong v)
    {
        string acc = (v & 3) switch { 0 => "O_RDONLY", 1 => "O_WRONLY", 2 => "O_RDWR", _ => "O_ACCMODE" };
        string rest = Bits(v & ~3UL, OpenBits, zero: null);
        return rest.Length == 0 ? acc : acc + "|" + rest;
    }

    public static readonly (ulong, string)[] ProtBits = [(1, "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC"), (0x1000000, "PROT_GROWSDOWN"), (0x2000000, "PROT_GROWSUP")];

    public static string Prot(ulong v) => Bits(v, ProtBits, zero: "PROT_NONE");

    public static readonly (ulong, string)[] MmapBits =
    [
        (0x10, "MAP_FIXED"), (0x20, "MAP_ANONYMOUS"), (0x40, "MAP_32BIT"), (0x100, "MAP_GROWSDOWN"), (0x800, "MAP_DENYWRITE"),
        (0x1000, "MAP_EXECUTABLE"), (0x2000, "MAP_LOCKED"), (0x4000, "MAP_NORESERVE"), (0x8000, "MAP_POPULATE"),
        (0x10000, "MAP_NONBLOCK"), (0x20000, "MAP_STACK"), (0x40000, "MAP_HUGETLB"), (0x80000, "MAP_SYNC"), (0x100000, "MAP_FIXED_NOREPLACE"),
    ];

    public static string Mmap(ulong v)
    {
        string type = (v & 0xf) switch { 1 => "MAP_SHARED", 2 => "MAP_PRIVATE", 3 => "MAP_SHARED_VALIDATE", _ => "0x" + (v & 0xf).ToString("x", Inv) };
        string rest = Bits(v & ~0xfUL, MmapBits, zero: null);
        return rest.Length == 0 ? type : type + "|" + rest;
    }

    public static readonly (ulong, string)[] CloneBits =
    [
        (0x100, "CLONE_VM"), (0x200, "CLONE_FS"), (0x400, "CLONE_FILES"), (0x800, "CLONE_SIGHAND"), (0x1000, "CLONE_PIDFD"),
        (0x2000, "CLONE_PTRACE"), (0x4000, "CLONE_VFORK"), (0x8000, "CLONE_PARENT"), (0x10000, "CLONE_THREAD"),
        (0x20000, "CLONE_NEWNS"), (0x40000, "CLONE_SYSVSEM"), (0x80000, "CLONE_SETTLS"), (0x100000, "CLONE_PARENT_SETTID"),
        (0x200000, "CLONE_CHILD_CLEARTID"), (0x400000, "CLONE_DETACHED"), (0x800000, "CLONE_UNTRACED"),
        (0x1000000, "CLONE_CHILD_SETTID"), (0x2000000, "CLONE_NEWCGROUP"), (0x4000000, "CLONE_NEWUTS"), (0x8000000, "CLONE_NEWIPC"),
        (0x10000000, "CLONE_NEWUSER"), (0x20000000, "CLONE_NEWPID"), (0x40000000, "CLONE_NEWNET"), (0x80000000, "CLONE_IO"),
    ];

    /// <summary>clone flags: the exit signal in the low byte is printed as a signal name, as strace does.</summary>
    public static string Clone(ulong v)
    {
        string bits = Bits(v & ~0xffUL, CloneBits, zero: null);
        ulong sig = v & 0xff;
        if (sig == 0) return bits.Length == 0 ? "0" : bits;
        return bits.Length == 0 ? Signal((int)sig) : bits + "|" + Signal((int)sig);
    }

    private static readonly string[] SignalNames =
    [
        "0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
        "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP",
        "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
    ];

    public static string Signal(int sig) => sig switch
    {
        >= 0 and < 32 => SignalNames[sig],
        32 => "SIGRTMIN",
        > 32 and <= 64 => "SIGRT_" + (sig - 32).ToString(Inv),
        _ => sig.ToString(Inv),
    };

    /// <summary>A sigset as strace prints it: [CHLD INT], or ~[KILL STOP] when most bits are set.</summary>
    public static string SigSet(ulong set)
    {
        bool inverted = ulong.PopCount(set) > 32;
        if (inverted) set = ~set;
        var sb = new StringBuilder(inverted ? "~[" : "[");
        bool first = true;
        for (int s = 1; s <= 64; s++)
        {
            if ((set & (1UL << (s - 1))) == 0) continue;
            if (!first) sb.Append(' ');
            first = false;
            string n = Signal(s);
            sb.Append(n.StartsWith("SIG", StringComparison.Ordinal) ? n[3..] : n);
        }
        return sb.Append(']').ToString();
    }

    public static readonly (ulong, string)[] SaBits =
    [
        (1, "SA_NOCLDSTOP"), (2, "SA_NOCLDWAIT"), (4, "SA_SIGINFO"), (0x04000000, "SA_RESTORER"), (0x08000000, "SA_ONSTACK"),
        (0x10000000, "SA_RESTART"), (0x40000000, "SA_NODEFER"), (0x80000000, "SA_RESETHAND"),
    ];

    public static string SocketDomain(ulong v) => v switch
    {
        0 => "AF_UNSPEC", 1 => "AF_UNIX", 2 => "AF_INET", 10 => "AF_INET6", 16 => "AF_NETLINK", 17 => "AF_PACKET",
        _ => v.ToString(Inv),
    };

    public static string SocketType(ulong v)
    {
        string t = (v & 0xf) switch
        {
            1 => "SOCK_STREAM", 2 => "SOCK_DGRAM", 3 => "SOCK_RAW", 4 => "SOCK_RDM", 5 => "SOCK_SEQPACKET", 10 => "SOCK_PACKET",
            _ => (v & 0xf).ToString(Inv),
        };
        string rest = Bits(v & ~0xfUL, [(0x80000, "SOCK_CLOEXEC"), (0x800, "SOCK_NONBLOCK")], zero: null);
        return rest.Length == 0 ? t : t + "|" + rest;
    }

    public static string Fcntl(ulong v) => v switch
    {
        0 => "F_DUPFD", 1 => "F_GETFD", 2 => "F_SETFD", 3 => "F_GETFL", 4 => "F_SETFL", 5 => "F_GETLK", 6 => "F_SETLK",
        7 => "F_SETLKW", 8 => "F_SETOWN", 9 => "F_GETOWN", 10 => "F_SETSIG", 11 => "F_GETSIG", 1024 => "F_SETLEASE",
        1025 => "F_GETLEASE", 1030 => "F_DUPFD_CLOEXEC", 1031 => "F_SETPIPE_SZ", 1032 => "F_GETPIPE_SZ",
        1033 => "F_ADD_SEALS", 1034 => "F_GET_SEALS", 36 => "F_OFD_GETLK", 37 => "F_OFD_SETLK", 38 => "F_OFD_SETLKW",
        _ => "0x" + v.ToString("x", Inv),
    };

    public static readonly (ulong, string)[] AtBits =
    [
        (0x100, "AT_SYMLINK_NOFOLLOW"), (0x200, "AT_REMOVEDIR"), (0x400, "AT_SYMLINK_FOLLOW"), (0x800, "AT_NO_AUTOMOUNT"),
        (0x1000, "AT_EMPTY_PATH"), (0x2000, "AT_STATX_FORCE_SYNC"), (0x4000, "AT_STATX_DONT_SYNC"), (0x8000, "AT_RECURSIVE"),
    ];

    public static string Access(ulong v) => v == 0 ? "F_OK" : Bits(v, [(4, "R_OK"), (2, "W_OK"), (1, "X_OK")], zero: "F_OK");

    public static string Whence(ulong v) => v switch
    {
        0 => "SEEK_SET", 1 => "SEEK_CUR", 2 => "SEEK_END", 3 => "SEEK_DATA", 4 => "SEEK_HOLE", _ => v.ToString(Inv),
    };

    public static readonly (ulong, string)[] WaitBits =
    [
        (1, "WNOHANG"), (2, "WUNTRACED"), (4, "WEXITED"), (8, "WCONTINUED"), (0x01000000, "WNOWAIT"),
        (0x20000000, "__WNOTHREAD"), (0x40000000, "__WALL"), (0x80000000, "__WCLONE"),
    ];

    public static string SigprocmaskHow(ulong v) => v switch { 0 => "SIG_BLOCK", 1 => "SIG_UNBLOCK", 2 => "SIG_SETMASK", _ => v.ToString(Inv) };

    public static string Futex(ulong v)
    {
        string op = (v & 0x7f) switch
        {
            0 => "FUTEX_WAIT", 1 => "FUTEX_WAKE", 2 => "FUTEX_FD", 3 => "FUTEX_REQUEUE", 4 => "FUTEX_CMP_REQUEUE",
            5 => "FUTEX_WAKE_OP", 6 => "FUTEX_LOCK_PI", 7 => "FUTEX_UNLOCK_PI", 8 => "FUTEX_TRYLOCK_PI",
            9 => "FUTEX_WAIT_BITSET", 10 => "FUTEX_WAKE_BITSET", 11 => "FUTEX_WAIT_REQUEUE_PI", 12 => "FUTEX_CMP_REQUEUE_PI",
            13 => "FUTEX_LOCK_PI2", _ => (v & 0x7f).ToString(Inv),
        };
        if ((v & 128) != 0) op += "_PRIVATE";
        if ((v & 256) != 0) op += "|FUTEX_CLOCK_REALTIME";
        return op;
    }

    public static string ArchPrctl(ulong v) => v switch
    {
        0x1001 => "ARCH_SET_GS", 0x1002 => "ARCH_SET_FS", 0x1003 => "ARCH_GET_FS", 0x1004 => "ARCH_GET_GS",
        0x1011 => "ARCH_GET_CPUID", 0x1012 => "ARCH_SET_CPUID", _ => "0x" + v.ToString("x", Inv),
    };

    public static string Prctl(ulong v) => v switch
    {
        1 => "PR_SET_PDEATHSIG", 2 => "PR_GET_PDEATHSIG", 3 => "PR_GET_DUMPABLE", 4 => "PR_SET_DUMPABLE", 15 => "PR_SET_NAME",
        16 => "PR_GET_NAME", 22 => "PR_SET_SECCOMP", 23 => "PR_CAPBSET_READ", 24 => "PR_CAPBSET_DROP", 36 => "PR_SET_CHILD_SUBREAPER",
        37 => "PR_GET_CHILD_SUBREAPER", 38 => "PR_SET_NO_NEW_PRIVS", 39 => "PR_GET_NO_NEW_PRIVS", 47 => "PR_CAP_AMBIENT",
        0x53564d41 => "PR_SET_VMA", 0x59616d61 => "PR_SET_PTRACER", _ => v.ToString(Inv),
    };

    public static string ClockId(ulong v) => v switch
    {
        0 => "CLOCK_REALTIME", 1 => "CLOCK_MONOTONIC", 2 => "CLOCK_PROCESS_CPUTIME_ID", 3 => "CLOCK_THREAD_CPUTIME_ID",
        4 => "CLOCK_MONOTONIC_RAW", 5 => "CLOCK_REALTIME_COARSE", 6 => "CLOCK_MONOTONIC_COARSE", 7 => "CLOCK_BOOTTIME",
        _ => v.ToString(Inv),
    };

    public static string EpollCtl(ulong v) => v switch { 1 => "EPOLL_CTL_ADD", 2 => "EPOLL_CTL_DEL", 3 => "EPOLL_CTL_MOD", _ => v.ToString(Inv) };

    public static readonly (ulong, string)[] PollBits =
    [
        (1, "POLLIN"), (2, "POLLPRI"), (4, "POLLOUT"), (8, "POLLERR"), (0x10, "POLLHUP"), (0x20, "POLLNVAL"),
        (0x40, "POLLRDNORM"), (0x80, "POLLRDBAND"), (0x100, "POLLWRNORM"), (0x200, "POLLWRBAND"), (0x2000, "POLLRDHUP"),
    ];

    public static readonly (ulong, string)[] EpollBits =
    [
        (1, "EPOLLIN"), (2, "EPOLLPRI"), (4, "EPOLLOUT"), (8, "EPOLLERR"), (0x10, "EPOLLHUP"), (0x40, "EPOLLRDNORM"),
        (0x2000, "EPOLLRDHUP"), (0x10000000, "EPOLLEXCLUSIVE"), (0x20000000, "EPOLLWAKEUP"), (0x40000000, "EPOLLONESHOT"), (0x80000000, "EPOLLET"),
    ];

    public static readonly (ulong, string)[] MsgBits =
    [
        (1, "MSG_OOB"), (2, "MSG_PEEK"), (4, "MSG_DONTROUTE"), (8, "MSG_CTRUNC"), (0x20, "MSG_TRUNC"), (0x40, "MSG_DONTWAIT"),
        (0x80, "MSG_EOR"), (0x100, "MSG_WAITALL"), (0x2000, "MSG_ERRQUEUE"), (0x4000, "MSG_NOSIGNAL"), (0x8000, "MSG_MORE"),
        (0x10000, "MSG_WAITFORONE"), (0x40000000, "MSG_CMSG_CLOEXEC"),
    ];

    public static readonly (ulong, string)[] CloexecNonblock = [(0x80000, "O_CLOEXEC"), (0x800, "O_NONBLOCK")];

    public static string SockLevel(ulong v) => v switch
    {
        0 => "SOL_IP", 1 => "SOL_SOCKET", 6 => "SOL_TCP", 17 => "SOL_UDP", 41 => "SOL_IPV6", 270 => "SOL_NETLINK", _ => v.ToString(Inv),
    };

    public static string Ioctl(ulong v) => (v & 0xffffffff) switch
    {
        0x5401 => "TCGETS", 0x5402 => "TCSETS", 0x5403 => "TCSETSW", 0x5404 => "TCSETSF", 0x540f => "TIOCGPGRP", 0x5410 => "TIOCSPGRP",
        0x5413 => "TIOCGWINSZ", 0x5414 => "TIOCSWINSZ", 0x541b => "FIONREAD", 0x5421 => "FIONBIO", 0x5451 => "FIOCLEX",
        0x5450 => "FIONCLEX", 0x540e => "TIOCSCTTY", 0x80045430 => "TIOCGPTN", 0x40045431 => "TIOCSPTLCK", 0x5429 => "TIOCGSID",
        _ => "0x" + v.ToString("x", Inv),
    };

    public static string Rlimit(ulong v) => v switch
    {
        0 => "RLIMIT_CPU", 1 => "RLIMIT_FSIZE", 2 => "RLIMIT_DATA", 3 => "RLIMIT_STACK", 4 => "RLIMIT_CORE", 5 => "RLIMIT_RSS",
        6 => "RLIMIT_NPROC", 7 => "RLIMIT_NOFILE", 8 => "RLIMIT_MEMLOCK", 9 => "RLIMIT_AS", 10 => "RLIMIT_LOCKS",
        11 => "RLIMIT_SIGPENDING", 12 => "RLIMIT_MSGQUEUE", 13 => "RLIMIT_NICE", 14 => "RLIMIT_RTPRIO", 15 => "RLIMIT_RTTIME",
        _ => v.ToString(Inv),
    };

    public static string FileMode(uint mode)
    {
        string type = (mode & 0xf000) switch
        {
            0x8000 => "S_IFREG", 0x4000 => "S_IFDIR", 0xa000 => "S_IFLNK", 0x2000 => "S_IFCHR", 0x6000 => "S_IFBLK",
            0x1000 => "S_IFIFO", 0xc000 => "S_IFSOCK", _ => "",
        };
        string perm = Octal(mode & 0xfff);
        return type.Length == 0 ? perm : type + "|" + perm;
    }

    public static string Octal(ulong v) => v == 0 ? "000" : "0" + Convert.ToString((long)v, 8).PadLeft(3, '0');

    /// <summary>Known bits by name joined with '|', leftover bits as 0x...; zero as the given name (or "0").</summary>
    public static string Bits(ulong v, (ulong Bit, string Name)[] table, string? zero)
    {
        if (v == 0) return zero ?? "";
        var sb = new StringBuilder();
        foreach (var (bit, name) in table)
        {
            if ((v & bit) != bit) continue;
            if (sb.Length > 0) sb.Append('|');
            sb.Append(name);
            v &= ~bit;
        }
        if (v != 0)
        {
            if (sb.Length > 0) sb.Append('|');
            sb.Append("0x").Append(v.ToString("x", Inv));
        }
        return sb.ToString();
    }
}
