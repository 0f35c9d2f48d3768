using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using PipeBuffer = Csrunsc.Sentry.Fs.Pipe.Pipe;

namespace Csrunsc.Sentry.Fs.Socket;

/// <summary>
/// One end of a connected AF_UNIX SOCK_STREAM pair (socketpair(2)): two pipes, one per direction,
/// sharing one wait queue so a poll on the socket wakes for either. shutdown(2) closes a direction.
/// </summary>
public sealed class UnixStreamSocket : SocketFile
{
    private FileDescription? _in;
    private FileDescription? _out;

    private UnixStreamSocket(FileDescription input, FileDescription output, int flags)
        : base(SocketFamilies.AF_UNIX, SOCK_STREAM, 0, flags)
    {
        _in = input;
        _out = output;
        Queue = ((Pipe.PipeFileDescription)input).Pipe.Queue;
    }

    private WaitQueue Queue { get; }

    /// <summary>socketpair(AF_UNIX, SOCK_STREAM): two connected ends.</summary>
    public static void CreatePair(int flags, out UnixStreamSocket a, out UnixStreamSocket b)
    {
        var queue = new WaitQueue();
        var ab = new PipeBuffer(256 * 1024, queue);
        var ba = new PipeBuffer(256 * 1024, queue);
        var abInode = new Pipe.PipeInode(ab);
        var baInode = new Pipe.PipeInode(ba);
        // Each end does its own non-blocking handling: the inner pipe ends always block.
        a = new UnixStreamSocket(ba.NewEnd(baInode, Libc.O_RDONLY), ab.NewEnd(abInode, Libc.O_WRONLY), flags);
        b = new UnixStreamSocket(ab.NewEnd(abInode, Libc.O_RDONLY), ba.NewEnd(baInode, Libc.O_WRONLY), flags);
    }

    public override long Receive(Kernel.Task task, Span<byte> buffer, int flags, Span<byte> address, out int addressLength,
        Span<byte> control, out int controlLength, out int messageFlags)
    {
        addressLength = 0;
        controlLength = 0;
        messageFlags = 0;
        if ((flags & MSG_PEEK) != 0) return -Errno.EOPNOTSUPP;
        var input = Volatile.Read(ref _in);
        if (input is null) return 0; // shut down for reading: EOF
        return ((Pipe.PipeFileDescription)input).Pipe.Read(task, buffer, NonBlocking || (flags & MSG_DONTWAIT) != 0);
    }

    public override long Send(Kernel.Task task, ReadOnlySpan<byte> buffer, ReadOnlySpan<byte> address, ReadOnlySpan<byte> control, int flags)
    {
        if (!control.IsEmpty) return -Errno.EOPNOTSUPP;
        if (!address.IsEmpty) return -Errno.EISCONN;
        var output = Volatile.Read(ref _out);
        if (output is null) return -Errno.EPIPE;
        return ((Pipe.PipeFileDescription)output).Pipe.Write(task, buffer, NonBlocking || (flags & MSG_DONTWAIT) != 0);
    }

    /// <summary>The ends of a socket pair are unnamed: sun_family only.</summary>
    public override int GetName(Kernel.Task t, bool peer, Span<byte> address, out int length)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(address, SocketFamilies.AF_UNIX);
        length = 2;
        return 0;
    }

    public override int Connect(Kernel.Task t, ReadOnlySpan<byte> address) => -Errno.EISCONN;

    public override int SetOption(Kernel.Task t, int level, int name, ReadOnlySpan<byte> value) =>
        level == SOL_SOCKET ? 0 : -Errno.ENOPROTOOPT;

    public override short Readiness(short mask)
    {
        int ev = 0;
        var input = Volatile.Read(ref _in);
        var output = Volatile.Read(ref _out);
        bool readEof = true, writeGone = true;
        if (input is not null)
        {
            int r = (ushort)input.Readiness((short)(mask & Libc.POLLIN));
            ev |= r & Libc.POLLIN;
            readEof = (r & Libc.POLLHUP) != 0; // the peer will write no more
        }
        if (readEof) ev |= Libc.POLLIN | Libc.POLLRDHUP; // reads return EOF at once
        if (output is not null)
        {
            int w = (ushort)output.Readiness((short)(mask & Libc.POLLOUT));
            writeGone = (w & Libc.POLLERR) != 0;
            ev |= writeGone ? mask & Libc.POLLOUT : w & Libc.POLLOUT;
        }
        // Hang-up only when neither direction is left, as on a Linux socket.
        if (readEof && writeGone) ev |= Libc.POLLHUP;
        return (short)(ev & (mask | Libc.POLLHUP | Libc.POLLERR));
    }

    public override WaitQueue? ReadinessQueue => Queue;

    public override int Ioctl(Kernel.Task task, ulong request, ulong arg)
    {
        if (request == PipeBuffer.FIONREAD)
        {
            int n = Volatile.Read(ref _in) is Pipe.PipeFileDescription p ? p.Pipe.Count : 0;
            return task.WriteStruct(arg, n) < 0 ? -Errno.EFAULT : 0;
        }
        return -Errno.ENOTTY;
    }

    /// <summary>shutdown(2): stops a direction; the peer sees EOF (SHUT_WR) or EPIPE on its writes (SHUT_RD).</summary>
    public override int Shutdown(Kernel.Task? t, int how)
    {
        if (how is < SHUT_RD or > SHUT_RDWR) return -Errno.EINVAL;
        if (how != SHUT_WR) Interlocked.Exchange(ref _in, null)?.DecRef();
        if (how != SHUT_RD) Interlocked.Exchange(ref _out, null)?.DecRef();
        Queue.Notify();
        return 0;
    }

    protected override void OnRelease() => Shutdown(null, SHUT_RDWR);
}
