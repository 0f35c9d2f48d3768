using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Host;
using Csrunsc.Sentry.Fs.Pty;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Boot;

/// <summary>
/// The stdio a container process starts with, from the host fds the caller handed in: with
/// process.terminal (exec --tty) the host pty slave is bridged to a Sentry pty
/// (<see cref="HostTerminalBridge"/>) whose replica, one description for every stdio fd on that
/// terminal as runc dup2s one fd, is the process's controlling terminal; anything else, a host
/// terminal without process.terminal included (`create` from a shell: isatty, no job control, as
/// runc), is the host file itself, sharing its offset with the caller (`run ... > file` appends
/// after what the caller wrote).
/// </summary>
public static unsafe class ProcessStdio
{
    private const uint PtySlaveMajorFirst = 136, PtySlaveMajorLast = 143;

    /// <summary>
    /// Installs fds 0-2 of a new process; ownsFd(fd) tells whether the sandbox may close that host
    /// fd; controllingTerminal: process.terminal; clearOnlcr: the terminal is one the runtime proxies itself
    /// (runc clears its ONLCR). Returns 0 or -errno.
    /// </summary>
    public static int Install(Kernel.Kernel kernel, FdTable fds, ThreadGroup group, int[] stdio, Func<int, bool> ownsFd, bool controllingTerminal, bool clearOnlcr = false)
    {
        FileDescription? terminal = null;
        ulong terminalDev = 0;
        var closed = new HashSet<int>();
        for (int fd = 0; fd < 3 && fd < stdio.Length; fd++)
        {
            int host = stdio[fd];
            bool owns = ownsFd(host);
            if (!controllingTerminal || !IsPtySlave(host, out ulong rdev))
            {
                fds.Set(fd, new HostFileDescription(host, AccessMode(host), owns) { SharesHostOffset = IsRegular(host) }, false);
                continue;
            }
            if (terminal is null || rdev != terminalDev)
            {
                int mine = Libc.Fcntl(host, Libc.F_DUPFD_CLOEXEC, 3);
                if (mine < 0) return -Libc.LastErrno;
                terminal = HostTerminalBridge.Open(kernel, mine, group, clearOnlcr, out int error);
                if (terminal is null)
                {
                    Libc.Close(mine);
                    return error;
                }
                terminalDev = rdev;
            }
            else
            {
                terminal.IncRef();
            }
            fds.Set(fd, terminal, false);
            if (owns && closed.Add(host)) Libc.Close(host);
        }
        return 0;
    }

    private static bool IsPtySlave(int hostFd, out ulong rdev)
    {
        StatBuf st;
        rdev = 0;
        if (Libc.FStat(hostFd, &st) < 0 || (st.Mode & StatBuf.S_IFMT) != StatBuf.S_IFCHR) return false;
        rdev = st.Rdev;
        uint major = (uint)((st.Rdev >> 8) & 0xfff);
        return major is >= PtySlaveMajorFirst and <= PtySlaveMajorLast;
    }

    /// <summary>As before the bridge: only non-character-device fds shared their offset (a tty or /dev/null has none to share).</summary>
    private static bool IsRegular(int hostFd)
    {
        StatBuf st;
        return Libc.FStat(hostFd, &st) == 0 && (st.Mode & StatBuf.S_IFMT) != StatBuf.S_IFCHR;
    }

    /// <summary>The host fd's access mode and O_APPEND, so the guest sees what it was given (EBADF writing a read-only stdin).</summary>
    private static int AccessMode(int hostFd)
    {
        int fl = Libc.Fcntl(hostFd, Libc.F_GETFL, 0);
        return fl < 0 ? Libc.O_RDWR : fl & (Libc.O_ACCMODE | Libc.O_APPEND);
    }
}
