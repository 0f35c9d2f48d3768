using System.Buffers.Binary;
using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Fs.Socket.Host;

/// <summary>
/// A NETLINK_ROUTE socket relayed to a host one in the guest's namespace. The host would obey
/// the Sentry (host root), so requests are checked here as rtnetlink checks its callers: GET
/// requests (dumps) are for anyone, every change (RTM_NEW*/DEL*/SET*) needs CAP_NET_ADMIN. A
/// refused request gets the NLMSG_ERROR reply (-EPERM) Linux would send, delivered in order with
/// the host's replies to the requests that passed.
/// </summary>
public sealed class HostNetlinkSocket : HostSocket
{
    private const int SOL_NETLINK = 270;
    private const int NlmsgHdrLen = 16;
    private const ushort NLMSG_ERROR = 2, NLM_F_CAPPED = 0x100;
    private const ushort RTM_BASE = 16;

    private readonly Queue<byte[]> _replies = new();

    public HostNetlinkSocket(int hostFd, int type, int protocol, int flags)
        : base(hostFd, SocketFamilies.AF_NETLINK, type, protocol, flags)
    {
    }

    /// <summary>Synthesized replies are queued Sentry-side: a blocked receive waits on the queue (the poller wakes it for host replies).</summary>
    protected override bool WaitsOnHostFd => false;

    public override short Readiness(short mask)
    {
        short r = base.Readiness(mask);
        lock (_replies)
        {
            if (_replies.Count > 0) r |= (short)(mask & Libc.POLLIN);
        }
        return r;
    }

    /// <summary>Whether the request type may reach the host: control messages and GET requests always, changes with CAP_NET_ADMIN.</summary>
    private static bool Allowed(Task t, ushort type)
    {
        if (type < RTM_BASE) return true;
        return ((type - RTM_BASE) & 3) == 2 || Capabilities.Has(t, Capabilities.NET_ADMIN);
    }

    public override long Send(Task t, ReadOnlySpan<byte> data, ReadOnlySpan<byte> address, ReadOnlySpan<byte> control, int flags)
    {
        if (!control.IsEmpty) return -Errno.EINVAL;
        // Fast path: every message in the buffer is allowed.
        bool allAllowed = true;
        for (int off = 0; data.Length - off >= NlmsgHdrLen;)
        {
            uint len = BinaryPrimitives.ReadUInt32LittleEndian(data[off..]);
            if (len < NlmsgHdrLen || len > data.Length - off) break; // the host reports malformed input itself
            if (!Allowed(t, BinaryPrimitives.ReadUInt16LittleEndian(data[(off + 4)..]))) allAllowed = false;
            off += (int)((len + 3) & ~3u);
        }
        if (allAllowed && !Changes(data)) return base.Send(t, data, address, control, flags);

        // Relay the allowed messages one by one; answer the others as rtnetlink does.
        for (int off = 0; data.Length - off >= NlmsgHdrLen;)
        {
            int len = (int)BinaryPrimitives.ReadUInt32LittleEndian(data[off..]);
            if (len < NlmsgHdrLen || len > data.Length - off) break;
            var message = data.Slice(off, len);
            ushort type = BinaryPrimitives.ReadUInt16LittleEndian(message[4..]);
            if (Allowed(t, type))
            {
                long r = IsChange(type) ? SendPrivileged(t, message, flags) : base.Send(t, message, address, control, flags);
                if (r < 0) return r;
            }
            else
            {
                QueueError(message, -Errno.EPERM);
            }
            off += (len + 3) & ~3;
        }
        return data.Length;
    }

    private static bool IsChange(ushort type) => type >= RTM_BASE && ((type - RTM_BASE) & 3) != 2;

    private static bool Changes(ReadOnlySpan<byte> data)
    {
        for (int off = 0; data.Length - off >= NlmsgHdrLen;)
        {
            uint len = BinaryPrimitives.ReadUInt32LittleEndian(data[off..]);
            if (len < NlmsgHdrLen || len > data.Length - off) break;
            if (IsChange(BinaryPrimitives.ReadUInt16LittleEndian(data[(off + 4)..]))) return true;
            off += (int)((len + 3) & ~3u);
        }
        return false;
    }

    /// <summary>
    /// A change (RTM_NEW*/DEL*/SET*) the guest may make: rtnetlink checks CAP_NET_ADMIN of the
    /// sending thread, so the namespace thread sends it (the reply is read as usual).
    /// </summary>
    private unsafe long SendPrivileged(Task t, ReadOnlySpan<byte> message, int flags)
    {
        if (t.Kernel.Network is not { } network) return -Errno.EPERM;
        byte[] copy = message.ToArray();
        int fd = Fd;
        int hostFlags = (flags & MSG_DONTWAIT) | MSG_NOSIGNAL;
        return network.Privileged(() =>
        {
            fixed (byte* m = copy)
            {
                nint n = Libc.Send(fd, m, copy.Length, hostFlags);
                return n < 0 ? -Libc.LastErrno : (int)n;
            }
        });
    }

    /// <summary>struct nlmsgerr: error code and the request's header (capped: no payload).</summary>
    private void QueueError(ReadOnlySpan<byte> request, int error)
    {
        var reply = new byte[NlmsgHdrLen + 4 + NlmsgHdrLen];
        BinaryPrimitives.WriteUInt32LittleEndian(reply, (uint)reply.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(reply.AsSpan(4), NLMSG_ERROR);
        BinaryPrimitives.WriteUInt16LittleEndian(reply.AsSpan(6), NLM_F_CAPPED);
        BinaryPrimitives.WriteUInt32LittleEndian(reply.AsSpan(8), BinaryPrimitives.ReadUInt32LittleEndian(request[8..]));
        BinaryPrimitives.WriteUInt32LittleEndian(reply.AsSpan(12), PortId());
        BinaryPrimitives.WriteInt32LittleEndian(reply.AsSpan(16), error);
        request[..NlmsgHdrLen].CopyTo(reply.AsSpan(20));
        lock (_replies) _replies.Enqueue(reply);
        Queue.Notify(PollEvents.In | PollEvents.RdNorm);
    }

    private unsafe uint PortId()
    {
        Span<byte> addr = stackalloc byte[12];
        int len = 12;
        fixed (byte* a = addr)
        {
            if (Libc.GetSockName(Fd, a, &len) < 0) return 0;
        }
        return BinaryPrimitives.ReadUInt32LittleEndian(addr[4..]);
    }

    protected override long ReceiveOnce(Span<byte> data, int hostFlags, Span<byte> address, out int addressLength,
        Span<byte> control, out int controlLength, out int messageFlags)
    {
        byte[]? reply = null;
        lock (_replies)
        {
            if (_replies.Count > 0) reply = (hostFlags & MSG_PEEK) != 0 ? _replies.Peek() : _replies.Dequeue();
        }
        if (reply is null) return base.ReceiveOnce(data, hostFlags, address, out addressLength, control, out controlLength, out messageFlags);
        int n = Math.Min(reply.Length, data.Length);
        reply.AsSpan(0, n).CopyTo(data);
        // From the kernel: sockaddr_nl { AF_NETLINK, pad, pid 0, groups 0 }.
        addressLength = 12;
        if (address.Length >= 2) BinaryPrimitives.WriteUInt16LittleEndian(address, SocketFamilies.AF_NETLINK);
        if (address.Length >= 12) address[2..12].Clear();
        controlLength = 0;
        messageFlags = n < reply.Length ? MSG_TRUNC : 0;
        return (hostFlags & MSG_TRUNC) != 0 ? reply.Length : n;
    }

    protected override int CheckControl(ReadOnlySpan<byte> control) => control.IsEmpty ? 0 : -Errno.EINVAL;

    public override int GetOption(Task t, int level, int name, Span<byte> value, out int length) =>
        level == SOL_NETLINK ? HostOption(level, name, value, out length) : base.GetOption(t, level, name, value, out length);

    public override unsafe int SetOption(Task t, int level, int name, ReadOnlySpan<byte> value)
    {
        if (level != SOL_NETLINK) return base.SetOption(t, level, name, value);
        fixed (byte* v = value)
        {
            return Libc.SetSockOpt(Fd, level, name, v, value.Length) == 0 ? 0 : -Libc.LastErrno;
        }
    }

    private unsafe int HostOption(int level, int name, Span<byte> value, out int length)
    {
        int len = value.Length;
        fixed (byte* v = value)
        {
            if (Libc.GetSockOpt(Fd, level, name, v, &len) < 0)
            {
                length = 0;
                return -Libc.LastErrno;
            }
        }
        length = Math.Min(len, value.Length);
        return 0;
    }
}
