using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Socket;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Socket;

/// <summary>The socket behind a descriptor, with a reference held for the call (a blocked accept survives a concurrent close).</summary>
internal static class SocketLookup
{
    /// <summary>0 with the socket (caller DecRefs), -EBADF for a closed fd, -ENOTSOCK for a pipe or file (as Linux).</summary>
    public static int Get(Task t, int fd, out SocketFile? socket)
    {
        socket = null;
        var f = t.Fds.GetRef(fd);
        if (f is null) return -Errno.EBADF;
        socket = f as SocketFile;
        if (socket is not null) return 0;
        f.DecRef();
        return -Errno.ENOTSOCK;
    }

    /// <summary>Reads a guest sockaddr of len bytes into buf: the filled span, or an error (EINVAL for a length out of range, EFAULT).</summary>
    public static int ReadAddress(Task t, ulong addr, long len, Span<byte> buf, out int used)
    {
        used = 0;
        if (len < 0 || len > SocketFile.MaxAddressLength) return -Errno.EINVAL;
        if (len == 0) return 0;
        int r = t.CopyIn(addr, buf[..(int)len]);
        if (r < 0) return r;
        used = (int)len;
        return 0;
    }

    /// <summary>
    /// Writes an address back as Linux's move_addr_to_user: at most the guest's buffer length, then
    /// the real length into *lenPtr. capacity is what the guest said its buffer holds.
    /// </summary>
    public static int WriteAddress(Task t, ulong addr, ulong lenPtr, int capacity, ReadOnlySpan<byte> address, int realLength)
    {
        int n = Math.Min(Math.Min(capacity, realLength), address.Length);
        if (n > 0 && t.CopyOut(addr, address[..n]) < 0) return -Errno.EFAULT;
        return t.WriteStruct(lenPtr, realLength) < 0 ? -Errno.EFAULT : 0;
    }

    /// <summary>Reads *lenPtr (a socklen_t the guest gives for an output buffer): 0, -EFAULT, or -EINVAL when negative.</summary>
    public static int ReadLength(Task t, ulong lenPtr, out int len)
    {
        len = 0;
        if (t.ReadStruct(lenPtr, out int l) < 0) return -Errno.EFAULT;
        if (l < 0) return -Errno.EINVAL;
        len = l;
        return 0;
    }
}
