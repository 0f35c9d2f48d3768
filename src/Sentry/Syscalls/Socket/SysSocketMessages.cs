using System.Buffers;
using System.Runtime.InteropServices;
using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Socket;
using Csrunsc.Sentry.Syscalls.File;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Socket;

/// <summary>
/// sendto, recvfrom, sendmsg, recvmsg, sendmmsg, recvmmsg: the guest's buffers, addresses and
/// control messages moved to and from <see cref="SocketFile.Send"/>/<see cref="SocketFile.Receive"/>.
/// Stream data moves through the task's scratch buffer in chunks (or straight from a contiguous
/// guest span); a datagram or seqpacket message is gathered whole (a pooled buffer when larger
/// than the scratch buffer), so it stays one message.
/// </summary>
internal static class SysSocketMessages
{
    /// <summary>The largest single message gathered for a message socket (Linux: bounded by SO_SNDBUF).</summary>
    private const int MaxMessage = 4 * 1024 * 1024;

    /// <summary>Linux's optmem_max: the most control data one sendmsg takes (ENOBUFS beyond).</summary>
    private const int MaxControl = 20480;

    /// <summary>Control space offered to a receive (the guest's msg_controllen, capped).</summary>
    private const int MaxControlOut = 64 * 1024;

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
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

    /// <summary>struct mmsghdr: a msghdr and the byte count of its message.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct MMsgHdr
    {
        public MsgHdr Hdr;
        public uint Len;
        public uint Pad;
    }

    public static long Sendto(Task t, in SyscallArguments a)
    {
        int r = SocketLookup.Get(t, a.Int(0), out var s);
        if (r < 0) return r;
        try
        {
            Span<byte> addr = stackalloc byte[SocketFile.MaxAddressLength];
            int addrLen = 0;
            if (a.A4 != 0)
            {
                r = SocketLookup.ReadAddress(t, a.A4, (long)(int)a.A5, addr, out addrLen);
                if (r < 0) return r;
            }
            long len = (long)Math.Min(a.A2, (ulong)FileIo.MaxRwCount);
            return SendData(t, s!, new GuestIovecs(a.A1, len), addr[..addrLen], ReadOnlySpan<byte>.Empty, a.Int(3));
        }
        finally
        {
            s!.DecRef();
        }
    }

    public static long Recvfrom(Task t, in SyscallArguments a)
    {
        int r = SocketLookup.Get(t, a.Int(0), out var s);
        if (r < 0) return r;
        try
        {
            int capacity = 0;
            if (a.A4 != 0)
            {
                r = SocketLookup.ReadLength(t, a.A5, out capacity);
                if (r < 0) return r;
            }
            Span<byte> addr = stackalloc byte[SocketFile.MaxAddressLength];
            long len = (long)Math.Min(a.A2, (ulong)FileIo.MaxRwCount);
            long n = ReceiveData(t, s!, new GuestIovecs(a.A1, len), a.Int(3), addr, out int addrLen, Span<byte>.Empty, out _, out _);
            if (n < 0) return n;
            if (a.A4 != 0 && SocketLookup.WriteAddress(t, a.A4, a.A5, capacity, addr, addrLen) < 0) return -Errno.EFAULT;
            return n;
        }
        finally
        {
            s!.DecRef();
        }
    }

    public static long Sendmsg(Task t, in SyscallArguments a)
    {
        int r = SocketLookup.Get(t, a.Int(0), out var s);
        if (r < 0) return r;
        try
        {
            return SendOne(t, s!, a.A1, a.Int(2));
        }
        finally
        {
            s!.DecRef();
        }
    }

    public static long Recvmsg(Task t, in SyscallArguments a)
    {
        int r = SocketLookup.Get(t, a.Int(0), out var s);
        if (r < 0) return r;
        try
        {
            return ReceiveOne(t, s!, a.A1, a.Int(2));
        }
        finally
        {
            s!.DecRef();
        }
    }

    public static long Sendmmsg(Task t, in SyscallArguments a)
    {
        int r = SocketLookup.Get(t, a.Int(0), out var s);
        if (r < 0) return r;
        try
        {
            uint vlen = Math.Min((uint)a.A2, (uint)FileIo.MaxIov);
            int flags = a.Int(3);
            int sent = 0;
            for (uint i = 0; i < vlen; i++)
            {
                ulong hdr = a.A1 + i * (ulong)Marshal.SizeOf<MMsgHdr>();
                long n = SendOne(t, s!, hdr, flags);
                if (n < 0) return sent > 0 ? sent : n;
                if (t.WriteStruct(hdr + (ulong)Marshal.SizeOf<MsgHdr>(), (uint)n) < 0) return sent > 0 ? sent : -Errno.EFAULT;
                sent++;
            }
            return sent;
        }
        finally
        {
            s!.DecRef();
        }
    }

    public static long Recvmmsg(Task t, in SyscallArguments a)
    {
        int r = SocketLookup.Get(t, a.Int(0), out var s);
        if (r < 0) return r;
        try
        {
            uint vlen = Math.Min((uint)a.A2, (uint)FileIo.MaxIov);
            int flags = a.Int(3);
            long deadline = long.MaxValue;
            if (a.A4 != 0)
            {
                r = ReadinessWait.DeadlineFromTimespec(t, a.A4, out deadline, out _);
                if (r < 0) return r;
            }
            int received = 0;
            for (uint i = 0; i < vlen; i++)
            {
                ulong hdr = a.A1 + i * (ulong)Marshal.SizeOf<MMsgHdr>();
                // After the first message MSG_WAITFORONE turns the rest non-blocking; so does a passed timeout.
                int f = flags;
                if (received > 0 && ((flags & SocketFile.MSG_WAITFORONE) != 0 || MonotonicNow() >= deadline)) f |= SocketFile.MSG_DONTWAIT;
                long n = ReceiveOne(t, s!, hdr, f & ~SocketFile.MSG_WAITFORONE);
                if (n < 0) return received > 0 ? received : n;
                if (t.WriteStruct(hdr + (ulong)Marshal.SizeOf<MsgHdr>(), (uint)n) < 0) return received > 0 ? received : -Errno.EFAULT;
                received++;
                if (MonotonicNow() >= deadline) break;
            }
            return received;
        }
        finally
        {
            s!.DecRef();
        }
    }

    private static long MonotonicNow() => Kernel.MonotonicClock.NowNs();

    /// <summary>read(2) on a socket: recvmsg without flags, address or control (a datagram whole, whatever the buffer's layout).</summary>
    internal static long Read(Task t, SocketFile s, ulong addr, long len) =>
        ReceiveData(t, s, new GuestIovecs(addr, len), 0, Span<byte>.Empty, out _, Span<byte>.Empty, out _, out _);

    /// <summary>readv(2) on a socket.</summary>
    internal static long ReadVector(Task t, SocketFile s, ulong iov, int count)
    {
        var iovs = GuestIovecs.Vector(t, iov, count, out int err);
        if (err < 0) return err;
        if (iovs.Total == 0) return 0; // sock_read_iter: nothing asked, nothing read
        return ReceiveData(t, s, iovs, 0, Span<byte>.Empty, out _, Span<byte>.Empty, out _, out _);
    }

    /// <summary>write(2) on a socket: sendmsg without flags (SIGPIPE as send raises it).</summary>
    internal static long Write(Task t, SocketFile s, ulong addr, long len) =>
        SendData(t, s, new GuestIovecs(addr, len), ReadOnlySpan<byte>.Empty, ReadOnlySpan<byte>.Empty, 0);

    /// <summary>writev(2) on a socket.</summary>
    internal static long WriteVector(Task t, SocketFile s, ulong iov, int count)
    {
        var iovs = GuestIovecs.Vector(t, iov, count, out int err);
        if (err < 0) return err;
        return SendData(t, s, iovs, ReadOnlySpan<byte>.Empty, ReadOnlySpan<byte>.Empty, 0);
    }

    private static long SendOne(Task t, SocketFile s, ulong hdrAddr, int flags)
    {
        if (t.ReadStruct(hdrAddr, out MsgHdr msg) < 0) return -Errno.EFAULT;
        if (msg.IovLen > FileIo.MaxIov) return -Errno.EMSGSIZE;
        Span<byte> addr = stackalloc byte[SocketFile.MaxAddressLength];
        int addrLen = 0;
        if (msg.Name != 0)
        {
            int r = SocketLookup.ReadAddress(t, msg.Name, msg.NameLen, addr, out addrLen);
            if (r < 0) return r;
        }
        if (msg.ControlLen > MaxControl) return -Errno.ENOBUFS;
        byte[]? rented = null;
        try
        {
            Span<byte> control = Span<byte>.Empty;
            if (msg.ControlLen > 0)
            {
                int cl = (int)msg.ControlLen;
                rented = ArrayPool<byte>.Shared.Rent(cl);
                control = rented.AsSpan(0, cl);
                if (t.CopyIn(msg.Control, control) < 0) return -Errno.EFAULT;
            }
            var iovs = GuestIovecs.Vector(t, msg.Iov, (int)msg.IovLen, out int err);
            if (err < 0) return err;
            return SendData(t, s, iovs, addr[..addrLen], control, flags);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static long ReceiveOne(Task t, SocketFile s, ulong hdrAddr, int flags)
    {
        if (t.ReadStruct(hdrAddr, out MsgHdr msg) < 0) return -Errno.EFAULT;
        if (msg.IovLen > FileIo.MaxIov) return -Errno.EMSGSIZE;
        if ((int)msg.NameLen < 0) return -Errno.EINVAL;
        var iovs = GuestIovecs.Vector(t, msg.Iov, (int)msg.IovLen, out int err);
        if (err < 0) return err;
        Span<byte> addr = stackalloc byte[SocketFile.MaxAddressLength];
        byte[]? rented = null;
        try
        {
            int controlCap = (int)Math.Min(msg.ControlLen, (ulong)MaxControlOut);
            Span<byte> control = Span<byte>.Empty;
            if (msg.Control != 0 && controlCap > 0)
            {
                rented = ArrayPool<byte>.Shared.Rent(controlCap);
                control = rented.AsSpan(0, controlCap);
                control.Clear();
            }
            long n = ReceiveData(t, s, iovs, flags, addr, out int addrLen, control, out int controlLen, out int msgFlags);
            if (n < 0) return n;
            if (msg.Name != 0)
            {
                int w = Math.Min((int)msg.NameLen, addrLen);
                if (w > 0 && t.CopyOut(msg.Name, addr[..w]) < 0) return -Errno.EFAULT;
                msg.NameLen = (uint)addrLen;
            }
            else
            {
                msg.NameLen = 0;
            }
            if (controlLen > 0 && t.CopyOut(msg.Control, control[..controlLen]) < 0) return -Errno.EFAULT;
            msg.ControlLen = (ulong)controlLen;
            msg.Flags = msgFlags;
            // Only the fields the kernel updates (name length, control length, flags) are written back.
            if (t.WriteStruct(hdrAddr + 8, msg.NameLen) < 0 ||
                t.WriteStruct(hdrAddr + 40, msg.ControlLen) < 0 ||
                t.WriteStruct(hdrAddr + 48, msg.Flags) < 0) return -Errno.EFAULT;
            return n;
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Sends the gathered data; SIGPIPE for an EPIPE with nothing sent on a stream socket unless
    /// MSG_NOSIGNAL (TCP and AF_UNIX streams; Linux raises none for seqpacket or datagram sockets).
    /// </summary>
    private static long SendData(Task t, SocketFile s, in GuestIovecs iovs, ReadOnlySpan<byte> addr, ReadOnlySpan<byte> control, int flags)
    {
        long r = s.IsStream ? SendStream(t, s, iovs, addr, control, flags) : SendMessage(t, s, iovs, addr, control, flags);
        if (r == -Errno.EPIPE && (flags & SocketFile.MSG_NOSIGNAL) == 0 && s.SignalsBrokenPipe) t.SendSignalToSelf(Libc.SIGPIPE);
        return r;
    }

    private static long SendStream(Task t, SocketFile s, in GuestIovecs iovs, ReadOnlySpan<byte> addr, ReadOnlySpan<byte> control, int flags)
    {
        long total = iovs.Total;
        if (total == 0) return s.Send(t, ReadOnlySpan<byte>.Empty, addr, control, flags);
        // One contiguous guest buffer: send straight from it.
        if (iovs.TrySingleSpan(t, out Span<byte> direct, writable: false)) return s.Send(t, direct, addr, control, flags);
        byte[] scratch = t.Scratch;
        long done = 0;
        while (done < total)
        {
            int chunk = (int)Math.Min(total - done, scratch.Length);
            var span = scratch.AsSpan(0, chunk);
            int c = iovs.Gather(t, done, span);
            if (c < 0) return done > 0 ? done : c;
            // Control messages (SCM_RIGHTS) travel with the first chunk only.
            long n = s.Send(t, span, addr, done == 0 ? control : ReadOnlySpan<byte>.Empty, flags);
            if (n < 0) return done > 0 ? done : n;
            done += n;
            if (n < chunk) break;
        }
        return done;
    }

    private static long SendMessage(Task t, SocketFile s, in GuestIovecs iovs, ReadOnlySpan<byte> addr, ReadOnlySpan<byte> control, int flags)
    {
        long total = iovs.Total;
        if (total > MaxMessage) return -Errno.EMSGSIZE;
        if (iovs.TrySingleSpan(t, out Span<byte> direct, writable: false)) return s.Send(t, direct, addr, control, flags);
        byte[]? rented = total > t.Scratch.Length ? ArrayPool<byte>.Shared.Rent((int)total) : null;
        try
        {
            var span = (rented ?? t.Scratch).AsSpan(0, (int)total);
            int c = iovs.Gather(t, 0, span);
            if (c < 0) return c;
            return s.Send(t, span, addr, control, flags);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static long ReceiveData(Task t, SocketFile s, in GuestIovecs iovs, int flags, Span<byte> addr, out int addrLen,
        Span<byte> control, out int controlLen, out int msgFlags)
    {
        addrLen = 0;
        controlLen = 0;
        msgFlags = 0;
        long total = iovs.Total;
        // One contiguous guest buffer: receive straight into it.
        if (iovs.TrySingleSpan(t, out Span<byte> direct))
            return s.Receive(t, direct, flags, addr, out addrLen, control, out controlLen, out msgFlags);
        if (s.IsStream && (flags & SocketFile.MSG_WAITALL) != 0 && total > t.Scratch.Length)
            return ReceiveStreamAll(t, s, iovs, flags, addr, out addrLen, control, out controlLen, out msgFlags);
        int cap = (int)Math.Min(total, s.IsStream ? t.Scratch.Length : MaxMessage);
        byte[]? rented = cap > t.Scratch.Length ? ArrayPool<byte>.Shared.Rent(cap) : null;
        try
        {
            var span = (rented ?? t.Scratch).AsSpan(0, cap);
            long n = s.Receive(t, span, flags, addr, out addrLen, control, out controlLen, out msgFlags);
            if (n <= 0) return n;
            int copied = (int)Math.Min(n, cap);
            int c = iovs.Scatter(t, span[..copied]);
            if (c < 0) return c;
            return n;
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>MSG_WAITALL on a stream into more than a scratch buffer: chunk by chunk until full, EOF or a signal.</summary>
    private static long ReceiveStreamAll(Task t, SocketFile s, in GuestIovecs iovs, int flags, Span<byte> addr, out int addrLen,
        Span<byte> control, out int controlLen, out int msgFlags)
    {
        addrLen = 0;
        controlLen = 0;
        msgFlags = 0;
        long total = iovs.Total;
        long done = 0;
        byte[] scratch = t.Scratch;
        while (done < total)
        {
            int chunk = (int)Math.Min(total - done, scratch.Length);
            long n = s.Receive(t, scratch.AsSpan(0, chunk), flags, addr, out addrLen, done == 0 ? control : Span<byte>.Empty,
                out int cl, out msgFlags);
            if (done == 0) controlLen = cl;
            if (n <= 0) return done > 0 ? done : n;
            int c = iovs.Scatter(t, scratch.AsSpan(0, (int)n), done);
            if (c < 0) return done > 0 ? done : c;
            done += n;
            if (n < chunk) break;
        }
        return done;
    }
}

/// <summary>
/// A guest iovec array (or one buffer) for a socket call: its total length, gathering a range
/// of it into a span and scattering a span into it, with the guest's memory checks.
/// </summary>
internal readonly struct GuestIovecs
{
    private readonly ulong _iov;
    private readonly int _count;
    private readonly ulong _single;

    /// <summary>One buffer (send/recv/sendto/recvfrom).</summary>
    public GuestIovecs(ulong buffer, long length)
    {
        _single = buffer;
        _iov = 0;
        _count = -1;
        Total = length;
    }

    private GuestIovecs(ulong iov, int count, long total)
    {
        _iov = iov;
        _count = count;
        _single = 0;
        Total = total;
    }

    public long Total { get; }

    /// <summary>A msghdr's iovec array: validates the lengths (EINVAL for a negative one, capped at MAX_RW_COUNT in all).</summary>
    public static GuestIovecs Vector(Task t, ulong iov, int count, out int error)
    {
        error = 0;
        long total = 0;
        for (int i = 0; i < count; i++)
        {
            if (t.ReadStruct(iov + (ulong)i * 16 + 8, out long len) < 0)
            {
                error = -Errno.EFAULT;
                return default;
            }
            if (len < 0)
            {
                error = -Errno.EINVAL;
                return default;
            }
            total = Math.Min(total + Math.Min(len, FileIo.MaxRwCount), FileIo.MaxRwCount);
        }
        return new GuestIovecs(iov, count, total);
    }

    private int Entry(Task t, int i, out ulong b, out long l)
    {
        if (_count < 0)
        {
            b = _single;
            l = Total;
            return 0;
        }
        b = 0;
        l = 0;
        if (t.ReadStruct(_iov + (ulong)i * 16, out b) < 0 || t.ReadStruct(_iov + (ulong)i * 16 + 8, out l) < 0) return -Errno.EFAULT;
        return 0;
    }

    private int Count => _count < 0 ? 1 : _count;

    /// <summary>Copies dst.Length bytes starting at byte offset from of the vector into dst: 0 or -EFAULT.</summary>
    public int Gather(Task t, long from, Span<byte> dst)
    {
        long pos = 0;
        int filled = 0;
        for (int i = 0; i < Count && filled < dst.Length; i++)
        {
            if (Entry(t, i, out ulong b, out long l) < 0) return -Errno.EFAULT;
            if (pos + l <= from)
            {
                pos += l;
                continue;
            }
            long skip = Math.Max(0, from - pos);
            int n = (int)Math.Min(l - skip, dst.Length - filled);
            if (t.CopyIn(b + (ulong)skip, dst.Slice(filled, n)) < 0) return -Errno.EFAULT;
            filled += n;
            pos += l;
        }
        return 0;
    }

    /// <summary>Copies src into the vector starting at byte offset at: 0 or -EFAULT.</summary>
    public int Scatter(Task t, ReadOnlySpan<byte> src, long at = 0)
    {
        long pos = 0;
        int copied = 0;
        for (int i = 0; i < Count && copied < src.Length; i++)
        {
            if (Entry(t, i, out ulong b, out long l) < 0) return -Errno.EFAULT;
            if (pos + l <= at)
            {
                pos += l;
                continue;
            }
            long skip = Math.Max(0, at - pos);
            int n = (int)Math.Min(l - skip, src.Length - copied);
            if (t.CopyOut(b + (ulong)skip, src.Slice(copied, n)) < 0) return -Errno.EFAULT;
            copied += n;
            pos += l;
        }
        return 0;
    }

    /// <summary>The whole vector as one guest span (writable for a receive), when it is one contiguous buffer.</summary>
    public bool TrySingleSpan(Task t, out Span<byte> span, bool writable = true)
    {
        span = default;
        ulong b;
        long l;
        if (_count < 0)
        {
            b = _single;
            l = Total;
        }
        else
        {
            if (_count != 1 || Entry(t, 0, out b, out l) < 0) return false;
            l = Math.Min(l, FileIo.MaxRwCount);
        }
        if (l == 0) return false;
        return t.Mm.TryGetSpan(b, (int)Math.Min(l, int.MaxValue), writable, out span) && span.Length == l;
    }
}
