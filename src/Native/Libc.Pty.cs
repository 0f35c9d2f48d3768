using System.Runtime.InteropServices;
using System.Text;

namespace Csrunsc.Native;

/// <summary>Host pseudo-terminals (for process.terminal and exec --tty).</summary>
public static unsafe partial class Libc
{
    [LibraryImport(Lib, EntryPoint = "posix_openpt", SetLastError = true)]
    public static partial int PosixOpenPt(int flags);
    [LibraryImport(Lib, EntryPoint = "grantpt", SetLastError = true)]
    public static partial int GrantPt(int fd);
    [LibraryImport(Lib, EntryPoint = "unlockpt", SetLastError = true)]
    public static partial int UnlockPt(int fd);
    [LibraryImport(Lib, EntryPoint = "ptsname_r", SetLastError = true)]
    public static partial int PtsNameR(int fd, byte* buf, nuint len);

    /// <summary>Opens a pty pair: master and slave fds (close-on-exec), or -errno.</summary>
    public static int OpenPty(out int master, out int slave)
    {
        slave = -1;
        master = PosixOpenPt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0) return -LastErrno;
        byte* name = stackalloc byte[128];
        if (GrantPt(master) < 0 || UnlockPt(master) < 0 || PtsNameR(master, name, 128) != 0)
        {
            int e = LastErrno;
            Close(master);
            return -e;
        }
        slave = Open(name, O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
        if (slave < 0)
        {
            int e = LastErrno;
            Close(master);
            return -e;
        }
        return 0;
    }

    public const ulong TCGETS = 0x5401, TCSETS = 0x5402, TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414;

    /// <summary>
    /// cfmakeraw on a terminal (the kernel's struct termios: iflag, oflag, cflag, lflag, line, cc):
    /// no input or output processing, no echo, no signals, reads return each byte (MIN 1, TIME 0).
    /// Returns 0 or -errno.
    /// </summary>
    public static int MakeRaw(int fd)
    {
        byte* t = stackalloc byte[64];
        if (Ioctl(fd, TCGETS, t) < 0) return -LastErrno;
        uint* f = (uint*)t;
        f[0] &= ~0x5EBu;        // IGNBRK BRKINT PARMRK ISTRIP INLCR IGNCR ICRNL IXON
        f[1] &= ~1u;            // OPOST
        f[2] = (f[2] & ~0x130u) | 0x30u; // CSIZE PARENB off, CS8
        f[3] &= ~0x804Bu;       // ECHO ECHONL ICANON ISIG IEXTEN
        t[17 + 5] = 0;          // VTIME
        t[17 + 6] = 1;          // VMIN
        return Ioctl(fd, TCSETS, t) < 0 ? -LastErrno : 0;
    }
}
