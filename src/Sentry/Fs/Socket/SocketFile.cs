using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Fs.Socket;

/// <summary>
/// An open socket, whatever its family: the operations the socket syscalls reach. Addresses,
/// option values and control messages are the guest's raw bytes (x86-64 layouts, the same as the
/// host's); data has already been gathered from guest memory (or is a span of it). Results are
/// byte counts or -errno. Blocking implementations wait on their <see cref="FileDescription.ReadinessQueue"/>
/// and honour <see cref="FileDescription.NonBlocking"/>, MSG_DONTWAIT and their SO_RCVTIMEO/SO_SNDTIMEO.
/// read(2)/write(2) on a socket are receive/send with no flags.
/// </summary>
public abstract class SocketFile : FileDescription
{
    public const int SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3, SOCK_SEQPACKET = 5, SOCK_PACKET = 10;
    public const int SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1;
    public const int SO_TYPE = 3, SO_ERROR = 4, SO_PROTOCOL = 38, SO_DOMAIN = 39;
    public const int MSG_OOB = 1, MSG_PEEK = 2, MSG_DONTROUTE = 4, MSG_CTRUNC = 8, MSG_TRUNC = 0x20,
        MSG_DONTWAIT = 0x40, MSG_EOR = 0x80, MSG_WAITALL = 0x100, MSG_CONFIRM = 0x800, MSG_ERRQUEUE = 0x2000,
        MSG_NOSIGNAL = 0x4000, MSG_MORE = 0x8000, MSG_WAITFORONE = 0x10000, MSG_CMSG_CLOEXEC = 0x40000000;
    public const int SHUT_RD = 0, SHUT_WR = 1, SHUT_RDWR = 2;

    /// <summary>sizeof(struct sockaddr_storage): the most an address may be.</summary>
    public const int MaxAddressLength = 128;

    protected SocketFile(int family, int type, int protocol, int flags, Inode? inode = null)
        : base(inode ?? SocketInode.ForCurrentTask(), Libc.O_RDWR | (flags & Libc.O_NONBLOCK))
    {
        Family = family;
        Type = type;
        Protocol = protocol;
    }

    public int Family { get; }

    public override bool SignalsIo => true;

    /// <summary>SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW (without the NONBLOCK/CLOEXEC bits).</summary>
    public int Type { get; }

    public int Protocol { get; }

    /// <summary>Whether a send may be split over several calls (streams) or is one message.</summary>
    public bool IsStream => Type == SOCK_STREAM;

    public override bool Seekable => false;

    /// <summary>Linux raises SIGPIPE for EPIPE on stream sockets only (TCP, AF_UNIX SOCK_STREAM).</summary>
    public override bool SignalsBrokenPipe => IsStream;

    public override long Size => 0;

    /// <summary>
    /// The ioctls of every socket family: the interface requests (SIOCGIF*, SIOCSIF*, SIOCGIFCONF),
    /// answered by the guest's network namespace. Families with requests of their own override and fall back here.
    /// </summary>
    public override int Ioctl(Task task, ulong request, ulong arg)
    {
        if (!Host.InterfaceIoctl.IsInterfaceRequest(request)) return -Errno.ENOTTY;
        if (task.Kernel.Network is not { } network) return -Errno.ENODEV;
        int fd = network.ControlSocket();
        return fd < 0 ? fd : Host.InterfaceIoctl.Handle(task, fd, request, arg);
    }

    public virtual int Bind(Task t, ReadOnlySpan<byte> address) => -Errno.EOPNOTSUPP;

    public virtual int Listen(Task t, int backlog) => -Errno.EOPNOTSUPP;

    /// <summary>Takes a connection (blocking unless non-blocking): the new socket, and the peer's address.</summary>
    public virtual int Accept(Task t, int flags, Span<byte> peerAddress, out int peerAddressLength, out SocketFile? accepted)
    {
        peerAddressLength = 0;
        accepted = null;
        return -Errno.EOPNOTSUPP;
    }

    public virtual int Connect(Task t, ReadOnlySpan<byte> address) => -Errno.EOPNOTSUPP;

    /// <summary>
    /// Sends data (one message for datagram/seqpacket sockets; for streams as much as the call
    /// takes). address is empty unless sendto/sendmsg named one; control holds the raw cmsgs.
    /// </summary>
    public abstract long Send(Task t, ReadOnlySpan<byte> data, ReadOnlySpan<byte> address, ReadOnlySpan<byte> control, int flags);

    /// <summary>
    /// Receives into data. Returns the bytes received (for a truncated datagram with MSG_TRUNC in
    /// flags: the message's real length), 0 at EOF, or -errno. Writes the sender's address into
    /// address (addressLength = its real length, 0 if none) and control messages into control
    /// (controlLength), and MSG_TRUNC/MSG_CTRUNC/MSG_EOR/MSG_OOB into messageFlags.
    /// </summary>
    public abstract long Receive(Task t, Span<byte> data, int flags, Span<byte> address, out int addressLength,
        Span<byte> control, out int controlLength, out int messageFlags);

    public virtual int Shutdown(Task t, int how) => -Errno.ENOTCONN;

    /// <summary>getsockname (peer false) / getpeername (peer true): writes the address, returns 0 and its real length.</summary>
    public abstract int GetName(Task t, bool peer, Span<byte> address, out int length);

    /// <summary>getsockopt: writes at most value.Length bytes, sets length to what was written.</summary>
    public virtual int GetOption(Task t, int level, int name, Span<byte> value, out int length)
    {
        length = 0;
        if (level != SOL_SOCKET) return -Errno.ENOPROTOOPT;
        int v;
        switch (name)
        {
            case SO_TYPE: v = Type; break;
            case SO_DOMAIN: v = Family; break;
            case SO_PROTOCOL: v = Protocol; break;
            default: return -Errno.ENOPROTOOPT;
        }
        return PutInt(value, v, out length);
    }

    public virtual int SetOption(Task t, int level, int name, ReadOnlySpan<byte> value) => -Errno.ENOPROTOOPT;

    public override long Read(Task task, Span<byte> buffer, long offset)
    {
        if (offset >= 0) return -Errno.ESPIPE;
        return Receive(task, buffer, 0, Span<byte>.Empty, out _, Span<byte>.Empty, out _, out _);
    }

    public override long Write(Task task, ReadOnlySpan<byte> buffer, long offset)
    {
        if (offset >= 0) return -Errno.ESPIPE;
        return Send(task, buffer, ReadOnlySpan<byte>.Empty, ReadOnlySpan<byte>.Empty, 0);
    }

    /// <summary>An int option value, as Linux writes it (truncated to the caller's length when shorter).</summary>
    protected static int PutInt(Span<byte> value, int v, out int length)
    {
        length = Math.Min(value.Length, 4);
        Span<byte> b = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(b, v);
        b[..length].CopyTo(value);
        return 0;
    }

    /// <summary>Reads an int option value (EINVAL when shorter than an int, as Linux).</summary>
    protected static int GetInt(ReadOnlySpan<byte> value, out int v)
    {
        v = 0;
        if (value.Length < 4) return -Errno.EINVAL;
        v = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(value);
        return 0;
    }
}
