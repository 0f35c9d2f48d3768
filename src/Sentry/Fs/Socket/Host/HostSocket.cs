using System.Buffers.Binary;
using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Host;
using Csrunsc.Sentry.Kernel;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Fs.Socket.Host;

/// <summary>
/// A guest socket backed by a host socket in the guest's network namespace (AF_INET, AF_INET6,
/// netlink): the host kernel is the network stack, the Sentry validates and relays. The host fd
/// is non-blocking and watched by the <see cref="HostPoller"/>; a guest call that would block
/// waits on the socket's queue, so signals interrupt it and no thread is parked in the host.
/// Timeouts (SO_RCVTIMEO/SO_SNDTIMEO) are the guest's own, kept here, with Linux's rules: a
/// timed-out call gives EAGAIN (connect: EINPROGRESS), and a call with a timeout interrupted by a
/// signal gives EINTR instead of being restarted.
/// </summary>
public unsafe class HostSocket : SocketFile
{
    private const int SOL_IP = 0, SOL_TCP = 6, SOL_UDP = 17, SOL_IPV6 = 41, SOL_ICMPV6 = 58, SOL_RAW = 255;
    private const int SO_DEBUG = 1, SO_REUSEADDR = 2, SO_DONTROUTE = 5, SO_BROADCAST = 6, SO_SNDBUF = 7, SO_RCVBUF = 8,
        SO_KEEPALIVE = 9, SO_OOBINLINE = 10, SO_NO_CHECK = 11, SO_PRIORITY = 12, SO_LINGER = 13, SO_BSDCOMPAT = 14,
        SO_REUSEPORT = 15, SO_PASSCRED = 16, SO_PEERCRED = 17, SO_RCVLOWAT = 18, SO_SNDLOWAT = 19, SO_RCVTIMEO_OLD = 20,
        SO_SNDTIMEO_OLD = 21, SO_BINDTODEVICE = 25, SO_ATTACH_FILTER = 26, SO_DETACH_FILTER = 27, SO_PEERNAME = 28,
        SO_TIMESTAMP_OLD = 29, SO_ACCEPTCONN = 30, SO_PEERSEC = 31, SO_SNDBUFFORCE = 32, SO_RCVBUFFORCE = 33,
        SO_PASSSEC = 34, SO_TIMESTAMPNS_OLD = 35, SO_MARK = 36, SO_TIMESTAMPING_OLD = 37, SO_RXQ_OVFL = 40,
        SO_WIFI_STATUS = 41, SO_PEEK_OFF = 42, SO_NOFCS = 43, SO_LOCK_FILTER = 44, SO_SELECT_ERR_QUEUE = 45,
        SO_BUSY_POLL = 46, SO_MAX_PACING_RATE = 47, SO_BPF_EXTENSIONS = 48, SO_INCOMING_CPU = 49, SO_ATTACH_BPF = 50,
        SO_ATTACH_REUSEPORT_CBPF = 51, SO_ATTACH_REUSEPORT_EBPF = 52, SO_CNX_ADVICE = 53, SO_MEMINFO = 55,
        SO_INCOMING_NAPI_ID = 56, SO_COOKIE = 57, SO_PEERGROUPS = 59, SO_ZEROCOPY = 60, SO_TXTIME = 61,
        SO_BINDTOIFINDEX = 62, SO_TIMESTAMP_NEW = 63, SO_TIMESTAMPNS_NEW = 64, SO_TIMESTAMPING_NEW = 65,
        SO_RCVTIMEO_NEW = 66, SO_SNDTIMEO_NEW = 67, SO_DETACH_REUSEPORT_BPF = 68, SO_PREFER_BUSY_POLL = 69,
        SO_BUSY_POLL_BUDGET = 70, SO_NETNS_COOKIE = 71, SO_BUF_LOCK = 72;

    private const int IP_TOS = 1, IP_TTL = 2, IP_PKTINFO = 8, IP_TRANSPARENT = 19;
    private const int IPV6_PKTINFO = 50, IPV6_HOPLIMIT = 52, IPV6_TCLASS = 67, IPV6_TRANSPARENT = 75;
    private const int UDP_SEGMENT = 103;
    private const int TCP_REPAIR = 19, TCP_REPAIR_QUEUE = 20, TCP_QUEUE_SEQ = 21, TCP_REPAIR_OPTIONS = 22,
        TCP_REPAIR_WINDOW = 29, TCP_ZEROCOPY_RECEIVE = 35;
    private const int MSG_FASTOPEN = 0x20000000;
    private const int SendFlags = MSG_OOB | MSG_DONTROUTE | MSG_EOR | MSG_MORE | MSG_CONFIRM | MSG_FASTOPEN;
    private const int ReceiveFlags = MSG_OOB | MSG_PEEK | MSG_TRUNC | MSG_ERRQUEUE;

    protected readonly WaitQueue Queue = new();
    private int _pollHandle = -1;
    private int _fd;
    private long _receiveTimeoutNs, _sendTimeoutNs;

    /// <summary>Takes over hostFd (non-blocking, close-on-exec, in the guest's namespace).</summary>
    public HostSocket(int hostFd, int family, int type, int protocol, int flags)
        : base(family, type, protocol, flags, new SocketInode(HostInode(hostFd)))
    {
        _fd = hostFd;
    }

    /// <summary>The host socket's inode number, so that socket:[N] in /proc/self/fd matches the namespace's /proc/net tables.</summary>
    private static ulong HostInode(int fd)
    {
        StatBuf st;
        return Libc.FStat(fd, &st) == 0 ? st.Ino : 0;
    }

    protected int Fd => _fd;

    public override int HostPollFd => WaitsOnHostFd ? Volatile.Read(ref _fd) : -1;

    /// <summary>
    /// The queue poll/select/epoll wait on; the host fd is registered with the poller the first time
    /// it is asked for (a socket only read and written never costs the poller a wake-up).
    /// </summary>
    public override WaitQueue? ReadinessQueue
    {
        get
        {
            if (Volatile.Read(ref _pollHandle) < 0)
            {
                lock (Queue)
                {
                    if (_pollHandle < 0 && _fd >= 0) _pollHandle = HostPoller.Instance.Register(_fd, Queue);
                }
            }
            return Queue;
        }
    }

    /// <summary>Whether blocked calls wait in the host on the fd itself (false: only Sentry-side notifications wake them).</summary>
    protected virtual bool WaitsOnHostFd => true;

    public override short Readiness(short mask)
    {
        var pfd = new PollFd { Fd = _fd, Events = (short)(mask & (Libc.POLLIN | Libc.POLLOUT | Libc.POLLPRI | Libc.POLLRDHUP)) };
        if (Libc.Poll(&pfd, 1, 0) <= 0) return 0;
        return (short)(pfd.REvents & (mask | Libc.POLLHUP | Libc.POLLERR));
    }

    protected override void OnRelease()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd < 0) return;
        lock (Queue) HostPoller.Instance.Unregister(_pollHandle, fd);
        Libc.Close(fd);
    }

    // ---- waiting --------------------------------------------------------------------------

    /// <summary>A socket timeout as Linux keeps it: 0 none, -1 zero (a negative timeval was set: never wait), else ns.</summary>
    private static long DeadlineOf(long timeoutNs) =>
        timeoutNs == 0 ? long.MaxValue : timeoutNs < 0 ? 0 : MonotonicClock.NowNs() + timeoutNs;

    /// <summary>
    /// One sleep of a blocked call until the host fd has events: 0 to try again, -EAGAIN when the
    /// socket timeout passed, -ERESTARTSYS (no timeout set) or -EINTR (timeout set) when a signal
    /// interrupts. The task waits in the host on the fd itself (a direct wake-up, no poller hop).
    /// </summary>
    private int Sleep(Task t, short events, long deadlineNs, bool hasTimeout)
    {
        int r = WaitsOnHostFd ? t.BlockOnHostFd(_fd, events, deadlineNs) : t.BlockUntil(deadlineNs);
        if (r == 0) return 0;
        if (r == -Errno.ETIMEDOUT) return -Errno.EAGAIN;
        return hasTimeout ? -Errno.EINTR : r;
    }

    private static int LastError()
    {
        int e = Libc.LastErrno;
        return -e;
    }

    // ---- connection set-up ----------------------------------------------------------------

    public override int Bind(Task t, ReadOnlySpan<byte> address)
    {
        int r = CheckBindPort(t, address);
        if (r < 0) return r;
        if (r > 0 && t.Kernel.Network is { } network)
        {
            // A port below 1024: only the namespace thread keeps CAP_NET_BIND_SERVICE on the host.
            byte[] copy = address.ToArray();
            int fd = _fd;
            return network.Privileged(() =>
            {
                fixed (byte* a = copy) return Libc.Bind(fd, a, copy.Length) == 0 ? 0 : -Libc.LastErrno;
            });
        }
        fixed (byte* a = address)
        {
            return Libc.Bind(_fd, a, address.Length) == 0 ? 0 : LastError();
        }
    }

    /// <summary>
    /// Ports below 1024 need the guest's CAP_NET_BIND_SERVICE: -EACCES without it, 1 for a
    /// privileged port the guest may bind, 0 for any other address.
    /// </summary>
    private int CheckBindPort(Task t, ReadOnlySpan<byte> address)
    {
        if (Family is not (SocketFamilies.AF_INET or SocketFamilies.AF_INET6) || address.Length < 4) return 0;
        int port = BinaryPrimitives.ReadUInt16BigEndian(address[2..]);
        if (port == 0 || port >= 1024 || Type == SOCK_RAW) return 0;
        return Capabilities.Has(t, Capabilities.NET_BIND_SERVICE) ? 1 : -Errno.EACCES;
    }

    public override int Listen(Task t, int backlog) => Libc.Listen(_fd, backlog) == 0 ? 0 : LastError();

    public override int Accept(Task t, int flags, Span<byte> peerAddress, out int peerAddressLength, out SocketFile? accepted)
    {
        accepted = null;
        peerAddressLength = 0;
        long deadline = DeadlineOf(_receiveTimeoutNs);
        bool subscribed = false;
        try
        {
            while (true)
            {
                int len = peerAddress.Length;
                int fd;
                fixed (byte* a = peerAddress)
                {
                    fd = Libc.Accept4(_fd, a, &len, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
                }
                if (fd >= 0)
                {
                    peerAddressLength = len;
                    accepted = new HostSocket(fd, Family, Type, Protocol, flags);
                    return 0;
                }
                int e = LastError();
                // The peer gave up before we took it: Linux's accept just waits for the next one.
                if (e == -Errno.ECONNABORTED || e == -Errno.EINTR) continue;
                if (e != -Errno.EAGAIN || NonBlocking) return e;
                if (!subscribed)
                {
                    SubscribeUnlessHostWait(t, PollEvents.In | PollEvents.Err | PollEvents.Hup);
                    subscribed = true;
                    continue;
                }
                int w = Sleep(t, Libc.POLLIN, deadline, _receiveTimeoutNs != 0);
                if (w < 0) return w;
            }
        }
        finally
        {
            if (subscribed) UnsubscribeUnlessHostWait(t);
        }
    }

    public override int Connect(Task t, ReadOnlySpan<byte> address)
    {
        int r;
        fixed (byte* a = address)
        {
            r = Libc.Connect(_fd, a, address.Length) == 0 ? 0 : LastError();
        }
        if (r == 0) return 0;
        // A blocking connect waits for the handshake; a restarted one (EALREADY) waits again, as Linux.
        if ((r != -Errno.EINPROGRESS && r != -Errno.EALREADY) || NonBlocking) return r;
        long deadline = DeadlineOf(_sendTimeoutNs);
        SubscribeUnlessHostWait(t, PollEvents.Out | PollEvents.Err | PollEvents.Hup);
        try
        {
            while (true)
            {
                var pfd = new PollFd { Fd = _fd, Events = Libc.POLLOUT };
                if (Libc.Poll(&pfd, 1, 0) > 0) return PendingError();
                int w = Sleep(t, Libc.POLLOUT, deadline, _sendTimeoutNs != 0);
                if (w == -Errno.EAGAIN) return -Errno.EINPROGRESS;
                if (w < 0) return w;
            }
        }
        finally
        {
            UnsubscribeUnlessHostWait(t);
        }
    }

    private void SubscribeUnlessHostWait(Task t, uint events)
    {
        if (!WaitsOnHostFd) ReadinessQueue!.Subscribe(t, events);
    }

    private void UnsubscribeUnlessHostWait(Task t)
    {
        if (!WaitsOnHostFd) Queue.Unsubscribe(t);
    }

    /// <summary>SO_ERROR of the host socket (the connect's outcome), cleared by reading it.</summary>
    private int PendingError()
    {
        int err = 0, len = 4;
        if (Libc.GetSockOpt(_fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return LastError();
        return -err;
    }

    public override int Shutdown(Task t, int how) => Libc.Shutdown(_fd, how) == 0 ? 0 : LastError();

    public override int GetName(Task t, bool peer, Span<byte> address, out int length)
    {
        int len = address.Length;
        int r;
        fixed (byte* a = address)
        {
            r = peer ? Libc.GetPeerName(_fd, a, &len) : Libc.GetSockName(_fd, a, &len);
        }
        length = len;
        return r == 0 ? 0 : LastError();
    }

    // ---- data -----------------------------------------------------------------------------

    public override long Send(Task t, ReadOnlySpan<byte> data, ReadOnlySpan<byte> address, ReadOnlySpan<byte> control, int flags)
    {
        int r = CheckControl(control);
        if (r < 0) return r;
        bool dontWait = NonBlocking || (flags & MSG_DONTWAIT) != 0;
        int hostFlags = (flags & SendFlags) | Libc.MSG_DONTWAIT | Libc.MSG_NOSIGNAL;
        long deadline = DeadlineOf(_sendTimeoutNs);
        long done = 0;
        bool subscribed = false;
        try
        {
            while (true)
            {
                long n = SendOnce(data[(int)done..], address, done == 0 ? control : ReadOnlySpan<byte>.Empty, hostFlags);
                if (n >= 0)
                {
                    done += n;
                    // A blocking stream send returns when all is queued; a message goes at once.
                    if (!IsStream || dontWait || done == data.Length) return done;
                    continue;
                }
                if (n != -Errno.EAGAIN || dontWait) return done > 0 ? done : n;
                if (!subscribed)
                {
                    SubscribeUnlessHostWait(t, PollEvents.Out | PollEvents.Err | PollEvents.Hup);
                    subscribed = true;
                    continue;
                }
                int w = Sleep(t, Libc.POLLOUT, deadline, _sendTimeoutNs != 0);
                if (w < 0) return done > 0 ? done : w;
            }
        }
        finally
        {
            if (subscribed) UnsubscribeUnlessHostWait(t);
        }
    }

    protected long SendOnce(ReadOnlySpan<byte> data, ReadOnlySpan<byte> address, ReadOnlySpan<byte> control, int hostFlags)
    {
        fixed (byte* d = data, a = address, c = control)
        {
            var iov = new IoVec { Base = d, Len = (nuint)data.Length };
            var msg = new MsgHdr
            {
                Name = address.IsEmpty ? null : a,
                NameLen = (uint)address.Length,
                Iov = &iov,
                IovLen = 1,
                Control = control.IsEmpty ? null : c,
                ControlLen = (nuint)control.Length,
            };
            nint n = Libc.SendMsg(_fd, &msg, hostFlags);
            return n >= 0 ? n : LastError();
        }
    }

    /// <summary>
    /// Control messages a guest may send on an inet socket, validated before the host sees them:
    /// packet info, TTL/hop limit, TOS/traffic class, UDP GSO. Anything else (SCM_RIGHTS has no
    /// meaning here) is EINVAL, as Linux answers for a cmsg type the protocol does not know.
    /// </summary>
    protected virtual int CheckControl(ReadOnlySpan<byte> control)
    {
        int off = 0;
        while (control.Length - off >= 16)
        {
            ulong len = BinaryPrimitives.ReadUInt64LittleEndian(control[off..]);
            int level = BinaryPrimitives.ReadInt32LittleEndian(control[(off + 8)..]);
            int type = BinaryPrimitives.ReadInt32LittleEndian(control[(off + 12)..]);
            if (len < 16 || len > (ulong)(control.Length - off)) return -Errno.EINVAL;
            bool allowed = (level, type) switch
            {
                (SOL_IP, IP_PKTINFO or IP_TTL or IP_TOS) => true,
                (SOL_IPV6, IPV6_PKTINFO or IPV6_HOPLIMIT or IPV6_TCLASS) => true,
                (SOL_UDP, UDP_SEGMENT) => true,
                _ => false,
            };
            if (!allowed) return -Errno.EINVAL;
            off += (int)((len + 7) & ~7UL);
        }
        return 0;
    }

    public override long Receive(Task t, Span<byte> data, int flags, Span<byte> address, out int addressLength,
        Span<byte> control, out int controlLength, out int messageFlags)
    {
        addressLength = 0;
        controlLength = 0;
        messageFlags = 0;
        // The error queue never blocks (Linux's ip_recv_error): EAGAIN when empty.
        bool dontWait = NonBlocking || (flags & (MSG_DONTWAIT | MSG_ERRQUEUE)) != 0;
        bool waitAll = (flags & MSG_WAITALL) != 0 && IsStream && (flags & MSG_PEEK) == 0 && !dontWait;
        int hostFlags = (flags & ReceiveFlags) | Libc.MSG_DONTWAIT | Libc.MSG_CMSG_CLOEXEC;
        uint events = (flags & MSG_ERRQUEUE) != 0 ? PollEvents.Err : PollEvents.In | PollEvents.Err | PollEvents.Hup | PollEvents.RdHup;
        long deadline = DeadlineOf(_receiveTimeoutNs);
        long done = 0;
        bool subscribed = false;
        try
        {
            while (true)
            {
                long n = ReceiveOnce(data[(int)done..], hostFlags, address, out int al,
                    done == 0 ? control : Span<byte>.Empty, out int cl, out int mf);
                if (n >= 0)
                {
                    if (done == 0)
                    {
                        addressLength = al;
                        controlLength = cl;
                        messageFlags = mf;
                    }
                    done += n;
                    if (!waitAll || n == 0 || done >= data.Length) return done;
                    continue;
                }
                if (n != -Errno.EAGAIN || dontWait) return done > 0 ? done : n;
                if (!subscribed)
                {
                    SubscribeUnlessHostWait(t, events);
                    subscribed = true;
                    continue;
                }
                int w = Sleep(t, (flags & MSG_ERRQUEUE) != 0 ? Libc.POLLERR : (short)(Libc.POLLIN | Libc.POLLRDHUP), deadline, _receiveTimeoutNs != 0);
                if (w < 0) return done > 0 ? done : w;
            }
        }
        finally
        {
            if (subscribed) UnsubscribeUnlessHostWait(t);
        }
    }

    protected virtual long ReceiveOnce(Span<byte> data, int hostFlags, Span<byte> address, out int addressLength,
        Span<byte> control, out int controlLength, out int messageFlags)
    {
        fixed (byte* d = data, a = address, c = control)
        {
            var iov = new IoVec { Base = d, Len = (nuint)data.Length };
            var msg = new MsgHdr
            {
                Name = address.IsEmpty ? null : a,
                NameLen = (uint)address.Length,
                Iov = &iov,
                IovLen = 1,
                Control = control.IsEmpty ? null : c,
                ControlLen = (nuint)control.Length,
            };
            nint n = Libc.RecvMsg(_fd, &msg, hostFlags);
            addressLength = n >= 0 ? (int)msg.NameLen : 0;
            controlLength = n >= 0 ? (int)msg.ControlLen : 0;
            // MSG_CMSG_CLOEXEC is the Sentry's own request, not a flag the guest should see.
            messageFlags = n >= 0 ? msg.Flags & ~Libc.MSG_CMSG_CLOEXEC : 0;
            return n >= 0 ? n : LastError();
        }
    }

    // ---- options --------------------------------------------------------------------------

    /// <summary>
    /// Whether an option may reach the host socket, and what it needs: 0 allowed, a capability
    /// number it needs, or -1 refused (it would act outside the guest: repair mode, eBPF, marks).
    /// </summary>
    private static int OptionPolicy(int level, int name, bool set)
    {
        switch (level)
        {
            case SOL_SOCKET:
                return name switch
                {
                    SO_DEBUG or SO_REUSEADDR or SO_TYPE or SO_ERROR or SO_DONTROUTE or SO_BROADCAST or SO_SNDBUF or
                        SO_RCVBUF or SO_KEEPALIVE or SO_OOBINLINE or SO_NO_CHECK or SO_LINGER or SO_BSDCOMPAT or
                        SO_REUSEPORT or SO_PASSCRED or SO_PEERCRED or SO_RCVLOWAT or SO_SNDLOWAT or SO_DETACH_FILTER or
                        SO_PEERNAME or SO_TIMESTAMP_OLD or SO_ACCEPTCONN or SO_PEERSEC or SO_PASSSEC or
                        SO_TIMESTAMPNS_OLD or SO_TIMESTAMPING_OLD or SO_PROTOCOL or SO_DOMAIN or SO_RXQ_OVFL or
                        SO_WIFI_STATUS or SO_PEEK_OFF or SO_NOFCS or SO_LOCK_FILTER or SO_SELECT_ERR_QUEUE or
                        SO_MAX_PACING_RATE or SO_BPF_EXTENSIONS or SO_INCOMING_CPU or SO_CNX_ADVICE or SO_MEMINFO or
                        SO_INCOMING_NAPI_ID or SO_COOKIE or SO_PEERGROUPS or SO_ZEROCOPY or SO_TXTIME or
                        SO_TIMESTAMP_NEW or SO_TIMESTAMPNS_NEW or SO_TIMESTAMPING_NEW or SO_BUF_LOCK or
                        SO_NETNS_COOKIE or SO_ATTACH_FILTER => 0,
                    SO_PRIORITY => set ? Capabilities.NET_ADMIN : 0,
                    SO_BINDTODEVICE or SO_BINDTOIFINDEX => set ? Capabilities.NET_RAW : 0,
                    SO_SNDBUFFORCE or SO_RCVBUFFORCE or SO_MARK or SO_BUSY_POLL or SO_PREFER_BUSY_POLL or
                        SO_BUSY_POLL_BUDGET => set ? Capabilities.NET_ADMIN : 0,
                    _ => -1,
                };
            case SOL_IP:
                return name == IP_TRANSPARENT && set ? Capabilities.NET_ADMIN : 0;
            case SOL_IPV6:
                return name == IPV6_TRANSPARENT && set ? Capabilities.NET_ADMIN : 0;
            case SOL_TCP:
                return name is TCP_REPAIR or TCP_REPAIR_QUEUE or TCP_QUEUE_SEQ or TCP_REPAIR_OPTIONS or TCP_REPAIR_WINDOW
                    or TCP_ZEROCOPY_RECEIVE ? -1 : 0;
            case SOL_UDP or SOL_ICMPV6 or SOL_RAW or 136 /*SOL_UDPLITE*/:
                return 0;
            case 263 /*SOL_PACKET*/:
                // Memory-mapped rings would need the guest to map a host socket: not served.
                return name is 5 /*PACKET_RX_RING*/ or 13 /*PACKET_TX_RING*/ ? -1 : 0;
            default:
                return -1;
        }
    }

    public override int GetOption(Task t, int level, int name, Span<byte> value, out int length)
    {
        length = 0;
        if (level == SOL_SOCKET && name is SO_RCVTIMEO_OLD or SO_RCVTIMEO_NEW or SO_SNDTIMEO_OLD or SO_SNDTIMEO_NEW)
            return PutTimeval(value, name is SO_RCVTIMEO_OLD or SO_RCVTIMEO_NEW ? _receiveTimeoutNs : _sendTimeoutNs, out length);
        if (OptionPolicy(level, name, set: false) < 0) return -Errno.ENOPROTOOPT;
        int len = value.Length;
        fixed (byte* v = value)
        {
            if (Libc.GetSockOpt(_fd, level, name, v, &len) < 0) return LastError();
        }
        length = Math.Min(len, value.Length);
        return 0;
    }

    public override int SetOption(Task t, int level, int name, ReadOnlySpan<byte> value)
    {
        if (level == SOL_SOCKET && name is SO_RCVTIMEO_OLD or SO_RCVTIMEO_NEW or SO_SNDTIMEO_OLD or SO_SNDTIMEO_NEW)
        {
            int r = GetTimeval(value, out long ns);
            if (r < 0) return r;
            if (name is SO_RCVTIMEO_OLD or SO_RCVTIMEO_NEW) _receiveTimeoutNs = ns;
            else _sendTimeoutNs = ns;
            return 0;
        }
        int policy = OptionPolicy(level, name, set: true);
        if (policy < 0) return level is SOL_SOCKET && name is SO_ATTACH_BPF or SO_ATTACH_REUSEPORT_EBPF ? -Errno.EPERM : -Errno.ENOPROTOOPT;
        if (policy > 0 && !Capabilities.Has(t, policy)) return -Errno.EPERM;
        if (level == SOL_SOCKET && name == SO_ATTACH_FILTER) return AttachFilter(t, value);
        if (policy > 0 && t.Kernel.Network is { } network)
        {
            // The host checks the capability of the calling thread: the namespace thread's.
            byte[] copy = value.ToArray();
            int fd = _fd;
            return network.Privileged(() =>
            {
                fixed (byte* v = copy) return Libc.SetSockOpt(fd, level, name, v, copy.Length) == 0 ? 0 : -Libc.LastErrno;
            });
        }
        fixed (byte* v = value)
        {
            return Libc.SetSockOpt(_fd, level, name, v, value.Length) == 0 ? 0 : LastError();
        }
    }

    /// <summary>SO_ATTACH_FILTER: struct sock_fprog points into guest memory; the classic BPF program is copied in for the host.</summary>
    private int AttachFilter(Task t, ReadOnlySpan<byte> value)
    {
        if (value.Length < 16) return -Errno.EINVAL;
        int count = BinaryPrimitives.ReadUInt16LittleEndian(value);
        ulong filter = BinaryPrimitives.ReadUInt64LittleEndian(value[8..]);
        if (count == 0 || count > 4096) return -Errno.EINVAL;
        var program = new byte[count * 8];
        if (t.CopyIn(filter, program) < 0) return -Errno.EFAULT;
        fixed (byte* p = program)
        {
            byte* fprog = stackalloc byte[16];
            *(ushort*)fprog = (ushort)count;
            *(byte**)(fprog + 8) = p;
            return Libc.SetSockOpt(_fd, SOL_SOCKET, SO_ATTACH_FILTER, fprog, 16) == 0 ? 0 : LastError();
        }
    }

    private static int PutTimeval(Span<byte> value, long ns, out int length)
    {
        length = 0;
        if (value.Length < 16) return -Errno.EINVAL;
        if (ns < 0) ns = 0;
        BinaryPrimitives.WriteInt64LittleEndian(value, ns / 1_000_000_000);
        BinaryPrimitives.WriteInt64LittleEndian(value[8..], ns % 1_000_000_000 / 1000);
        length = 16;
        return 0;
    }

    private static int GetTimeval(ReadOnlySpan<byte> value, out long ns)
    {
        ns = 0;
        if (value.Length < 16) return -Errno.EINVAL;
        long sec = BinaryPrimitives.ReadInt64LittleEndian(value);
        long usec = BinaryPrimitives.ReadInt64LittleEndian(value[8..]);
        if (usec < 0 || usec >= 1_000_000) return -Errno.EDOM;
        if (sec < 0)
        {
            ns = -1; // Linux: a negative timeout is a zero one (calls give EAGAIN at once)
            return 0;
        }
        ns = sec >= long.MaxValue / 1_000_000_000 ? long.MaxValue / 2 : sec * 1_000_000_000 + usec * 1000;
        return 0;
    }

    // ---- ioctls ---------------------------------------------------------------------------

    private const ulong FIONREAD = 0x541B, SIOCOUTQ = 0x5411, SIOCATMARK = 0x8905, SIOCGSTAMP = 0x8906,
        SIOCGSTAMPNS = 0x8907, SIOCOUTQNSD = 0x894B;

    public override int Ioctl(Task task, ulong request, ulong arg)
    {
        switch (request)
        {
            case FIONREAD or SIOCOUTQ or SIOCOUTQNSD or SIOCATMARK:
            {
                int v = 0;
                if (Libc.Ioctl(_fd, request, &v) < 0) return LastError();
                return task.WriteStruct(arg, v);
            }
            case SIOCGSTAMP or SIOCGSTAMPNS:
            {
                Span<byte> ts = stackalloc byte[16];
                fixed (byte* p = ts)
                {
                    if (Libc.Ioctl(_fd, request, p) < 0) return LastError();
                }
                return task.CopyOut(arg, ts);
            }
        }
        return InterfaceIoctl.Handle(task, _fd, request, arg);
    }
}

/// <summary>The SIOCGIF*/SIOCSIF* interface ioctls on a socket: queries any guest may make, changes that need CAP_NET_ADMIN.</summary>
internal static unsafe class InterfaceIoctl
{
    public const int IfReqSize = 40;
    private const ulong SIOCGIFCONF = 0x8912;

    /// <summary>
    /// The interface ioctls any socket answers (Linux's sock_ioctl falls back to dev_ioctl for
    /// every family), made on hostFd: a socket of the guest's network namespace. ENOTTY for others.
    /// </summary>
    public static int Handle(Task task, int hostFd, ulong request, ulong arg)
    {
        if (request == SIOCGIFCONF) return InterfaceConfiguration(task, hostFd, arg);
        if (IsQuery(request))
        {
            // struct ifreq: a name and a union without pointers.
            Span<byte> req = stackalloc byte[IfReqSize];
            if (task.CopyIn(arg, req) < 0) return -Errno.EFAULT;
            fixed (byte* p = req)
            {
                if (Libc.Ioctl(hostFd, request, p) < 0) return -Libc.LastErrno;
            }
            return task.CopyOut(arg, req);
        }
        if (IsChange(request))
        {
            if (!Capabilities.Has(task, Capabilities.NET_ADMIN)) return -Errno.EPERM;
            byte[] req = new byte[IfReqSize];
            if (task.CopyIn(arg, req) < 0) return -Errno.EFAULT;
            Func<int> change = () =>
            {
                fixed (byte* p = req) return Libc.Ioctl(hostFd, request, p) < 0 ? -Libc.LastErrno : 0;
            };
            // The host checks CAP_NET_ADMIN of the calling thread: the namespace thread's.
            return task.Kernel.Network is { } network ? network.Privileged(change) : change();
        }
        return -Errno.ENOTTY;
    }

    public static bool IsInterfaceRequest(ulong request) => request == SIOCGIFCONF || IsQuery(request) || IsChange(request);

    /// <summary>SIOCGIFCONF: struct ifconf holds a guest buffer pointer; the host fills a buffer of ours.</summary>
    private static int InterfaceConfiguration(Task task, int hostFd, ulong arg)
    {
        if (task.ReadStruct(arg, out int len) < 0 || task.ReadStruct(arg + 8, out ulong buf) < 0) return -Errno.EFAULT;
        if (len < 0) return -Errno.EINVAL;
        len = Math.Min(len, 64 * 1024);
        var host = new byte[Math.Max(len, 1)];
        fixed (byte* h = host)
        {
            byte* ifc = stackalloc byte[16];
            *(int*)ifc = buf == 0 ? 0 : len;
            *(byte**)(ifc + 8) = buf == 0 ? null : h;
            if (Libc.Ioctl(hostFd, SIOCGIFCONF, ifc) < 0) return -Libc.LastErrno;
            int used = *(int*)ifc;
            if (buf != 0 && used > 0 && task.CopyOut(buf, host.AsSpan(0, used)) < 0) return -Errno.EFAULT;
            return task.WriteStruct(arg, used);
        }
    }

    public static bool IsQuery(ulong request) => request is
        0x8910 /*SIOCGIFNAME*/ or 0x8913 /*FLAGS*/ or 0x8915 /*ADDR*/ or 0x8917 /*DSTADDR*/ or 0x8919 /*BRDADDR*/ or
        0x891b /*NETMASK*/ or 0x891d /*METRIC*/ or 0x8921 /*MTU*/ or 0x8927 /*HWADDR*/ or 0x8933 /*INDEX*/ or
        0x8942 /*TXQLEN*/ or 0x8970 /*MAP*/;

    public static bool IsChange(ulong request) => request is
        0x8914 /*SIOCSIFFLAGS*/ or 0x8916 /*ADDR*/ or 0x8918 /*DSTADDR*/ or 0x891a /*BRDADDR*/ or 0x891c /*NETMASK*/ or
        0x8922 /*MTU*/ or 0x8924 /*HWADDR*/ or 0x8943 /*TXQLEN*/ or 0x8923 /*SIOCSIFNAME*/;
}
