namespace Csrunsc.Native;

/// <summary>
/// Preparing a host fd (a caller's stdio) for the Sentry, which waits for streams with its poller
/// and so needs them non-blocking. Setting O_NONBLOCK on the caller's own open file description
/// would change it for the caller too (a shell's terminal left non-blocking), so a pipe, FIFO or
/// terminal is reopened through /proc/self/fd: a new description of the same pipe or tty, ours alone.
/// </summary>
public static unsafe class HostFdImport
{
    /// <summary>
    /// A new close-on-exec fd of the same pipe/FIFO/terminal with O_NONBLOCK, or -1 when fd is
    /// something else (a file, a socket: the Sentry needs no flag for those) or cannot be reopened;
    /// the caller then keeps the original. Must run where /proc is visible (before the Sentry's chroot).
    /// </summary>
    public static int ReopenNonBlocking(int fd)
    {
        StatBuf st;
        if (Libc.FStat(fd, &st) < 0) return -1;
        uint type = st.Mode & StatBuf.S_IFMT;
        bool tty = type == StatBuf.S_IFCHR && Libc.IsATty(fd) == 1;
        if (type != StatBuf.S_IFIFO && !tty) return -1;
        int flags = Libc.Fcntl(fd, Libc.F_GETFL, 0);
        if (flags < 0) return -1;
        if ((flags & Libc.O_NONBLOCK) != 0) return -1;
        int access = flags & Libc.O_ACCMODE;
        return Libc.OpenPath("/proc/self/fd/" + fd.ToString(System.Globalization.CultureInfo.InvariantCulture),
            access | (flags & Libc.O_APPEND) | Libc.O_NONBLOCK | Libc.O_NOCTTY | Libc.O_CLOEXEC);
    }
}
