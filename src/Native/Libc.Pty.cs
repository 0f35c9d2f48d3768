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
}
