using System.Runtime.InteropServices;
using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Socket;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Socket;

/// <summary>
/// Connected AF_UNIX stream socket pairs (socketpair(2)) and the socket calls on them. Other
/// descriptors answer ENOTSOCK (EBADF when closed), as Linux does for a pipe or a file.
/// </summary>
internal static class SysUnixSocket
{
    private const int AF_UNIX = 1, SOCK_STREAM = 1, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    private const int SOL_SOCKET = 1, SO_TYPE = 3, SO_ERROR = 4, SO_SNDBUF = 7, SO_RCVBUF = 8,
        SO_PEERCRED = 17, SO_ACCEPTCONN = 30, SO_DOMAIN = 39, SO_PROTOCOL = 38;
    private const int MSG_PEEK = 2, MSG_NOSIGNAL = 0x4000;

    /// <summary>Finds the socket behind fd: 0, -EBADF or -ENOTSOCK.</summary>
    private static int Find(Task t, int fd, out UnixStreamSocket? socket)
    {
        var f = t.Fds.Get(fd);
        socket = f as UnixStreamSocket;
        return f is null ? -Errno.EBADF : socket is null ? -Errno.ENOTSOCK : 0;
    }

    public static long Socketpair(Task t, in SyscallArguments a)
    {
        int domain = a.Int(0), type = a.Int(1);
        if (domain != AF_UNIX) return -Errno.EAFNOSUPPORT;
        if ((type & 0xf) != SOCK_STREAM) return -Errno.EOPNOTSUPP;
        if ((type & ~(0xf | SOCK_NONBLOCK | SOCK_CLOEXEC)) != 0) return -Errno.EINVAL;
        UnixStreamSocket.CreatePair((type & SOCK_NONBLOCK) != 0 ? Libc.O_NONBLOCK : 0, out var s0, out var s1);
        bool cloexec = (type & SOCK_CLOEXEC) != 0;
        int fd0 = t.Fds.Add(s0, cloexec);
        if (fd0 < 0)
        {
            s1.DecRef();
            return fd0;
        }
        int fd1 = t.Fds.Add(s1, cloexec);
        if (fd1 < 0)
        {
            t.Fds.Close(fd0);
            return fd1;
        }
        Span<int> sv = stackalloc int[2];
        sv[0] = fd0;
        sv[1] = fd1;
        if (t.CopyOut(a.A3, MemoryMarshal.AsBytes(sv)) < 0)
        {
            t.Fds.Close(fd0);
            t.Fds.Close(fd1);
            return -Errno.EFAULT;
        }
        return 0;
    }

    public static long Sendto(Task t, in SyscallArguments a)
    {
        int r = Find(t, a.Int(0), out var s);
        return r < 0 ? r : Send(t, s!, a.A1, (int)Math.Min(a.A2, int.MaxValue), a.Int(3));
    }

    public static long Recvfrom(Task t, in SyscallArguments a)
    {
        int r = Find(t, a.Int(0), out var s);
        if (r < 0) return r;
        if ((a.Int(3) & MSG_PEEK) != 0) return -Errno.EOPNOTSUPP;
        long n = Receive(t, s!, a.A1, (int)Math.Min(a.A2, int.MaxValue));
        if (n >= 0 && a.A4 != 0 && a.A5 != 0 && WriteUnnamedAddress(t, a.A4, a.A5) < 0) return -Errno.EFAULT;
        return n;
    }

    /// <summary>Writes from guest memory in chunks of the task's scratch buffer; SIGPIPE unless MSG_NOSIGNAL.</summary>
    private static long Send(Task t, UnixStreamSocket s, ulong buf, int len, int flags)
    {
        long done = 0;
        while (done < len)
        {
            int chunk = Math.Min(len - (int)done, t.Scratch.Length);
            var span = t.Scratch.AsSpan(0, chunk);
            if (t.CopyIn(buf + (ulong)done, span) < 0) return done > 0 ? done : -Errno.EFAULT;
            long n = s.Write(t, span, -1);
            if (n < 0)
            {
                if (n == -Errno.EPIPE && (flags & MSG_NOSIGNAL) == 0 && done == 0) t.SendSignalToSelf(Libc.SIGPIPE);
                return done > 0 ? done : n;
            }
            done += n;
            if (n < chunk) break;
        }
        return done;
    }

    /// <summary>One read (never waits again once it has data) into guest memory.</summary>
    private static long Receive(Task t, UnixStreamSocket s, ulong buf, int len)
    {
        var span = t.Scratch.AsSpan(0, Math.Min(len, t.Scratch.Length));
        long n = s.Read(t, span, -1);
        if (n <= 0) return n;
        return t.CopyOut(buf, span[..(int)n]) < 0 ? -Errno.EFAULT : n;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct GuestMsgHdr
    {
        public ulong Name;
        public uint NameLen;
        public uint Pad0;
        public ulong Iov;
        public ulong IovLen;
        public ulong Control;
        public ulong ControlLen;
        public int Flags;
        public int Pad1;
    }

    public static long Sendmsg(Task t, in SyscallArguments a)
    {
        int r = Find(t, a.Int(0), out var s);
        if (r < 0) return r;
        if (t.ReadStruct(a.A1, out GuestMsgHdr msg) < 0) return -Errno.EFAULT;
        if (msg.ControlLen != 0) return -Errno.EOPNOTSUPP; // no descriptor passing yet
        if (msg.IovLen > 1024) return -Errno.EMSGSIZE;
        long total = 0;
        for (ulong i = 0; i < msg.IovLen; i++)
        {
            if (t.ReadStruct(msg.Iov + i * 16, out (ulong Base, ulong Len) iov) < 0) return total > 0 ? total : -Errno.EFAULT;
            if (iov.Len == 0) continue;
            long n = Send(t, s!, iov.Base, (int)Math.Min(iov.Len, int.MaxValue), a.Int(2));
            if (n < 0) return total > 0 ? total : n;
            total += n;
            if ((ulong)n < iov.Len) break;
        }
        return total;
    }

    public static long Recvmsg(Task t, in SyscallArguments a)
    {
        int r = Find(t, a.Int(0), out var s);
        if (r < 0) return r;
        if ((a.Int(2) & MSG_PEEK) != 0) return -Errno.EOPNOTSUPP;
        if (t.ReadStruct(a.A1, out GuestMsgHdr msg) < 0) return -Errno.EFAULT;
        if (msg.IovLen > 1024) return -Errno.EMSGSIZE;
        // A stream read scattered over the iovecs: the same path as readv.
        long n = File.FileIo.ReadVector(t, s!, msg.Iov, (int)msg.IovLen, -1);
        if (n < 0) return n;
        msg.ControlLen = 0;
        msg.Flags = 0;
        if (msg.Name != 0 && msg.NameLen >= 2)
        {
            if (t.WriteStruct(msg.Name, (ushort)AF_UNIX) < 0) return -Errno.EFAULT;
            msg.NameLen = 2;
        }
        else msg.NameLen = 0;
        return t.WriteStruct(a.A1, msg) < 0 ? -Errno.EFAULT : n;
    }

    public static long Shutdown(Task t, in SyscallArguments a)
    {
        int r = Find(t, a.Int(0), out var s);
        return r < 0 ? r : s!.Shutdown(a.Int(1));
    }

    public static long Getsockopt(Task t, in SyscallArguments a)
    {
        int r = Find(t, a.Int(0), out _);
        if (r < 0) return r;
        if (a.Int(1) != SOL_SOCKET) return -Errno.ENOPROTOOPT;
        if (t.ReadStruct(a.A4, out int len) < 0) return -Errno.EFAULT;
        if (len < 0) return -Errno.EINVAL;
        int opt = a.Int(2);
        if (opt == SO_PEERCRED)
        {
            // struct ucred of the peer: both ends were made by this process.
            Span<int> cred = stackalloc int[3];
            cred[0] = t.ThreadGroup.Tgid;
            cred[1] = (int)t.ThreadGroup.Creds.Euid;
            cred[2] = (int)t.ThreadGroup.Creds.Egid;
            int n = Math.Min(len, 12);
            if (t.CopyOut(a.A3, MemoryMarshal.AsBytes(cred)[..n]) < 0 || t.WriteStruct(a.A4, n) < 0) return -Errno.EFAULT;
            return 0;
        }
        int value = opt switch
        {
            SO_TYPE => SOCK_STREAM,
            SO_DOMAIN => AF_UNIX,
            SO_PROTOCOL or SO_ERROR or SO_ACCEPTCONN => 0,
            SO_SNDBUF or SO_RCVBUF => 212992,
            _ => int.MinValue,
        };
        if (value == int.MinValue) return -Errno.ENOPROTOOPT;
        if (len < 4) return -Errno.EINVAL;
        if (t.WriteStruct(a.A3, value) < 0 || t.WriteStruct(a.A4, 4) < 0) return -Errno.EFAULT;
        return 0;
    }

    public static long Setsockopt(Task t, in SyscallArguments a)
    {
        int r = Find(t, a.Int(0), out _);
        if (r < 0) return r;
        return a.Int(1) == SOL_SOCKET ? 0 : -Errno.ENOPROTOOPT;
    }

    /// <summary>getsockname/getpeername: the ends of a socket pair are unnamed (sun_family only).</summary>
    public static long Getname(Task t, in SyscallArguments a)
    {
        int r = Find(t, a.Int(0), out _);
        if (r < 0) return r;
        return WriteUnnamedAddress(t, a.A1, a.A2) < 0 ? -Errno.EFAULT : 0;
    }

    private static int WriteUnnamedAddress(Task t, ulong addr, ulong lenPtr)
    {
        if (t.ReadStruct(lenPtr, out int len) < 0) return -Errno.EFAULT;
        if (len >= 2 && t.WriteStruct(addr, (ushort)AF_UNIX) < 0) return -Errno.EFAULT;
        return t.WriteStruct(lenPtr, 2);
    }

    /// <summary>connect/bind/listen/accept on a connected pair (or ENOTSOCK on anything else).</summary>
    public static long AlreadyConnected(Task t, in SyscallArguments a)
    {
        int r = Find(t, a.Int(0), out _);
        return r < 0 ? r : -Errno.EISCONN;
    }

    public static long NotListening(Task t, in SyscallArguments a)
    {
        int r = Find(t, a.Int(0), out _);
        return r < 0 ? r : -Errno.EINVAL;
    }
}
