using System.Runtime.InteropServices;
using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Socket;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Socket;

/// <summary>socket, socketpair, bind, listen, accept, accept4, connect, shutdown, getsockname, getpeername, setsockopt, getsockopt.</summary>
internal static class SysSocket
{
    private const int SockMax = 11, AfMax = 46;
    private const int TypeFlags = SocketFile.SOCK_NONBLOCK | SocketFile.SOCK_CLOEXEC;

    /// <summary>Largest option value copied in or out (options are small; TCP_INFO is 232 bytes).</summary>
    private const int MaxOptionLength = 4096;

    private static int SplitType(int type, out int baseType, out int flags)
    {
        baseType = type & 0xf;
        flags = (type & SocketFile.SOCK_NONBLOCK) != 0 ? Libc.O_NONBLOCK : 0;
        if ((type & ~(0xf | TypeFlags)) != 0 || baseType >= SockMax) return -Errno.EINVAL;
        return 0;
    }

    public static long Socket(Task t, in SyscallArguments a)
    {
        int family = a.Int(0), type = a.Int(1), protocol = a.Int(2);
        t.Kernel.ArgumentUse.Socket(family);
        if (family < 0 || family >= AfMax) return -Errno.EAFNOSUPPORT;
        int r = SplitType(type, out int baseType, out int flags);
        if (r < 0) return r;
        var impl = t.Kernel.Sockets.Get(family);
        if (impl is null) return -Errno.EAFNOSUPPORT;
        r = impl.Create(t, baseType, protocol, flags, out SocketFile? s);
        if (r < 0) return r;
        return t.Fds.Add(s!, (type & SocketFile.SOCK_CLOEXEC) != 0);
    }

    public static long Socketpair(Task t, in SyscallArguments a)
    {
        int family = a.Int(0), type = a.Int(1), protocol = a.Int(2);
        t.Kernel.ArgumentUse.Socketpair(family);
        if (family < 0 || family >= AfMax) return -Errno.EAFNOSUPPORT;
        int r = SplitType(type, out int baseType, out int flags);
        if (r < 0) return r;
        var impl = t.Kernel.Sockets.Get(family);
        if (impl is null) return -Errno.EAFNOSUPPORT;
        r = impl.CreatePair(t, baseType, protocol, flags, out SocketFile? s0, out SocketFile? s1);
        if (r < 0) return r;
        bool cloexec = (type & SocketFile.SOCK_CLOEXEC) != 0;
        int fd0 = t.Fds.Add(s0!, cloexec);
        if (fd0 < 0)
        {
            s1!.DecRef();
            return fd0;
        }
        int fd1 = t.Fds.Add(s1!, cloexec);
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

    public static long Bind(Task t, in SyscallArguments a) => WithAddress(t, a, connect: false);

    public static long Connect(Task t, in SyscallArguments a) => WithAddress(t, a, connect: true);

    private static long WithAddress(Task t, in SyscallArguments a, bool connect)
    {
        int r = SocketLookup.Get(t, a.Int(0), out var s);
        if (r < 0) return r;
        try
        {
            Span<byte> addr = stackalloc byte[SocketFile.MaxAddressLength];
            r = SocketLookup.ReadAddress(t, a.A1, (long)a.A2 > int.MaxValue ? -1 : (int)a.A2, addr, out int len);
            if (r < 0) return r;
            return connect ? s!.Connect(t, addr[..len]) : s!.Bind(t, addr[..len]);
        }
        finally
        {
            s!.DecRef();
        }
    }

    public static long Listen(Task t, in SyscallArguments a)
    {
        int r = SocketLookup.Get(t, a.Int(0), out var s);
        if (r < 0) return r;
        try
        {
            // Linux clamps the backlog to somaxconn (4096); a negative one counts as the maximum.
            int backlog = a.Int(1);
            if (backlog < 0 || backlog > 4096) backlog = 4096;
            return s!.Listen(t, backlog);
        }
        finally
        {
            s!.DecRef();
        }
    }

    public static long Accept(Task t, in SyscallArguments a) => DoAccept(t, a.Int(0), a.A1, a.A2, 0);

    public static long Accept4(Task t, in SyscallArguments a) => DoAccept(t, a.Int(0), a.A1, a.A2, a.Int(3));

    private static long DoAccept(Task t, int fd, ulong addr, ulong lenPtr, int flags)
    {
        if ((flags & ~TypeFlags) != 0) return -Errno.EINVAL;
        int r = SocketLookup.Get(t, fd, out var s);
        if (r < 0) return r;
        try
        {
            int capacity = 0;
            if (addr != 0)
            {
                r = SocketLookup.ReadLength(t, lenPtr, out capacity);
                if (r < 0) return r;
            }
            Span<byte> peer = stackalloc byte[SocketFile.MaxAddressLength];
            int openFlags = (flags & SocketFile.SOCK_NONBLOCK) != 0 ? Libc.O_NONBLOCK : 0;
            r = s!.Accept(t, openFlags, peer, out int peerLen, out SocketFile? accepted);
            if (r < 0) return r;
            int newFd = t.Fds.Add(accepted!, (flags & SocketFile.SOCK_CLOEXEC) != 0);
            if (newFd < 0) return newFd;
            if (addr != 0 && SocketLookup.WriteAddress(t, addr, lenPtr, capacity, peer, peerLen) < 0)
            {
                t.Fds.Close(newFd);
                return -Errno.EFAULT;
            }
            return newFd;
        }
        finally
        {
            s!.DecRef();
        }
    }

    public static long Shutdown(Task t, in SyscallArguments a)
    {
        int r = SocketLookup.Get(t, a.Int(0), out var s);
        if (r < 0) return r;
        try
        {
            int how = a.Int(1);
            if (how is < SocketFile.SHUT_RD or > SocketFile.SHUT_RDWR) return -Errno.EINVAL;
            return s!.Shutdown(t, how);
        }
        finally
        {
            s!.DecRef();
        }
    }

    public static long Getsockname(Task t, in SyscallArguments a) => GetName(t, a, peer: false);

    public static long Getpeername(Task t, in SyscallArguments a) => GetName(t, a, peer: true);

    private static long GetName(Task t, in SyscallArguments a, bool peer)
    {
        int r = SocketLookup.Get(t, a.Int(0), out var s);
        if (r < 0) return r;
        try
        {
            r = SocketLookup.ReadLength(t, a.A2, out int capacity);
            if (r < 0) return r;
            Span<byte> addr = stackalloc byte[SocketFile.MaxAddressLength];
            r = s!.GetName(t, peer, addr, out int len);
            if (r < 0) return r;
            return SocketLookup.WriteAddress(t, a.A1, a.A2, capacity, addr, len);
        }
        finally
        {
            s!.DecRef();
        }
    }

    public static long Setsockopt(Task t, in SyscallArguments a)
    {
        int r = SocketLookup.Get(t, a.Int(0), out var s);
        if (r < 0) return r;
        try
        {
            int len = a.Int(4);
            if (len < 0) return -Errno.EINVAL;
            Span<byte> value = stackalloc byte[Math.Min(len, MaxOptionLength)];
            if (value.Length > 0 && t.CopyIn(a.A3, value) < 0) return -Errno.EFAULT;
            return s!.SetOption(t, a.Int(1), a.Int(2), value);
        }
        finally
        {
            s!.DecRef();
        }
    }

    public static long Getsockopt(Task t, in SyscallArguments a)
    {
        int r = SocketLookup.Get(t, a.Int(0), out var s);
        if (r < 0) return r;
        try
        {
            r = SocketLookup.ReadLength(t, a.A4, out int capacity);
            if (r < 0) return r;
            Span<byte> value = stackalloc byte[Math.Min(capacity, MaxOptionLength)];
            r = s!.GetOption(t, a.Int(1), a.Int(2), value, out int written);
            if (r < 0) return r;
            if (written > 0 && t.CopyOut(a.A3, value[..written]) < 0) return -Errno.EFAULT;
            return t.WriteStruct(a.A4, written) < 0 ? -Errno.EFAULT : 0;
        }
        finally
        {
            s!.DecRef();
        }
    }
}
