using System.Runtime.InteropServices;
using System.Text;

namespace Csrunsc.Native;

/// <summary>
/// AF_UNIX stream sockets by path, and newline-terminated text messages that may carry fds
/// (SCM_RIGHTS). Used for the sandbox's control socket and the console socket.
/// </summary>
public static unsafe class UnixSocket
{
    [StructLayout(LayoutKind.Sequential)]
    private struct SockAddrUn
    {
        public ushort Family;
        public fixed byte Path[108];
    }

    private static int Fill(string path, out SockAddrUn addr)
    {
        addr = default;
        addr.Family = Libc.AF_UNIX;
        byte[] b = Encoding.UTF8.GetBytes(path);
        if (b.Length >= 108) return -Errno.ENAMETOOLONG;
        fixed (byte* p = addr.Path) b.CopyTo(new Span<byte>(p, 108));
        return 2 + b.Length + 1;
    }

    /// <summary>
    /// Runs <paramref name="call"/> with a name for <paramref name="path"/> that fits sun_path: the
    /// path itself, or, when it is 108 bytes or longer (containerd's CRI state roots plus 64-hex ids
    /// get there), /proc/self/fd/DIRFD/NAME through an O_PATH descriptor of its directory.
    /// </summary>
    private static int WithShortPath(string path, Func<string, int> call)
    {
        if (Encoding.UTF8.GetByteCount(path) < 108) return call(path);
        string? dir = Path.GetDirectoryName(path);
        string name = Path.GetFileName(path);
        if (string.IsNullOrEmpty(dir) || Encoding.UTF8.GetByteCount(name) > 64) return -Errno.ENAMETOOLONG;
        byte[] dirBytes = Encoding.UTF8.GetBytes(dir + "\0");
        int dirFd;
        fixed (byte* d = dirBytes) dirFd = Libc.Open(d, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (dirFd < 0) return -Libc.LastErrno;
        try
        {
            return call($"/proc/self/fd/{dirFd}/{name}");
        }
        finally
        {
            Libc.Close(dirFd);
        }
    }

    /// <summary>Connects to a listening socket; returns the fd or -errno.</summary>
    public static int Connect(string path) => WithShortPath(path, ConnectShort);

    private static int ConnectShort(string path)
    {
        int len = Fill(path, out SockAddrUn addr);
        if (len < 0) return len;
        int fd = Libc.Socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) return -Libc.LastErrno;
        if (Libc.Connect(fd, &addr, len) < 0)
        {
            int e = Libc.LastErrno;
            Libc.Close(fd);
            return -e;
        }
        return fd;
    }

    /// <summary>Creates a listening socket at path (replacing a stale one); returns the fd or -errno.</summary>
    public static int Listen(string path)
    {
        try { File.Delete(path); } catch (IOException) { }
        return WithShortPath(path, ListenShort);
    }

    private static int ListenShort(string path)
    {
        int len = Fill(path, out SockAddrUn addr);
        if (len < 0) return len;
        int fd = Libc.Socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) return -Libc.LastErrno;
        if (Libc.Bind(fd, &addr, len) < 0 || Libc.Listen(fd, 64) < 0)
        {
            int e = Libc.LastErrno;
            Libc.Close(fd);
            return -e;
        }
        return fd;
    }

    public static int Accept(int listenFd)
    {
        while (true)
        {
            int fd = Libc.Accept4(listenFd, null, null, Libc.SOCK_CLOEXEC);
            if (fd >= 0 || Libc.LastErrno != Errno.EINTR) return fd < 0 ? -Libc.LastErrno : fd;
        }
    }

    /// <summary>Sends one line (a '\n' is appended) with optional fds; 0 or -errno.</summary>
    public static int SendLine(int fd, string line, ReadOnlySpan<int> fds = default)
    {
        byte[] data = Encoding.UTF8.GetBytes(line + "\n");
        int controlLen = fds.Length == 0 ? 0 : sizeof(CmsgHdr) + ((fds.Length * 4 + 7) & ~7);
        byte* control = stackalloc byte[Math.Max(controlLen, 1)];
        fixed (byte* d = data)
        {
            var iov = new IoVec { Base = d, Len = (nuint)data.Length };
            var msg = new MsgHdr { Iov = &iov, IovLen = 1 };
            if (fds.Length > 0)
            {
                new Span<byte>(control, controlLen).Clear();
                var h = (CmsgHdr*)control;
                h->Len = (nuint)(sizeof(CmsgHdr) + fds.Length * 4);
                h->Level = Libc.SOL_SOCKET;
                h->Type = Libc.SCM_RIGHTS;
                fds.CopyTo(new Span<int>(control + sizeof(CmsgHdr), fds.Length));
                msg.Control = control;
                msg.ControlLen = (nuint)controlLen;
            }
            nint n;
            do { n = Libc.SendMsg(fd, &msg, Libc.MSG_NOSIGNAL); } while (n < 0 && Libc.LastErrno == Errno.EINTR);
            if (n < 0) return -Libc.LastErrno;
            if (n < data.Length && !Libc.WriteAll(fd, data.AsSpan((int)n))) return -Libc.LastErrno;
        }
        return 0;
    }

    /// <summary>
    /// Reads one line (without '\n'); fds received with it are appended to fds. Returns false at EOF
    /// or on error. Reads byte by byte so that no following message is consumed.
    /// </summary>
    public static bool ReadLine(int fd, out string line, List<int>? fds = null)
    {
        var sb = new List<byte>(64);
        byte* control = stackalloc byte[256];
        line = "";
        while (true)
        {
            byte b;
            var iov = new IoVec { Base = &b, Len = 1 };
            var msg = new MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = 256 };
            nint n = Libc.RecvMsg(fd, &msg, Libc.MSG_CMSG_CLOEXEC);
            if (n < 0 && Libc.LastErrno == Errno.EINTR) continue;
            if (n <= 0) return false;
            if (msg.ControlLen >= (nuint)sizeof(CmsgHdr))
            {
                var h = (CmsgHdr*)control;
                if (h->Level == Libc.SOL_SOCKET && h->Type == Libc.SCM_RIGHTS)
                {
                    int count = ((int)h->Len - sizeof(CmsgHdr)) / 4;
                    for (int i = 0; i < count; i++)
                    {
                        int got = ((int*)(control + sizeof(CmsgHdr)))[i];
                        if (fds is not null) fds.Add(got);
                        else Libc.Close(got);
                    }
                }
            }
            if (b == (byte)'\n')
            {
                line = Encoding.UTF8.GetString(sb.ToArray());
                return true;
            }
            sb.Add(b);
            if (sb.Count > 1 << 20) return false;
        }
    }

    /// <summary>Sends one fd and a name over a console socket (what runc's --console-socket expects).</summary>
    public static int SendConsole(string socketPath, int masterFd, string name = "/dev/ptmx")
    {
        int s = Connect(socketPath);
        if (s < 0) return s;
        int r = SendLine(s, name, [masterFd]);
        Libc.Close(s);
        return r;
    }
}
