using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using PipeBuffer = Csrunsc.Sentry.Fs.Pipe.Pipe;

namespace Csrunsc.Sentry.Fs.Socket;

/// <summary>
/// One end of a connected AF_UNIX SOCK_STREAM pair (socketpair(2)): two pipes, one per direction,
/// sharing one wait queue so a poll on the socket wakes for either. shutdown(2) closes a direction.
/// </summary>
public sealed class UnixStreamSocket : FileDescription
{
    private FileDescription? _in;
    private FileDescription? _out;

    private UnixStreamSocket(FileDescription input, FileDescription output, int flags)
        : base(new SocketInode(), Libc.O_RDWR | (flags & Libc.O_NONBLOCK))
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

    public override bool Seekable => false;

    public override long Size => 0;

    public override long Read(Kernel.Task task, Span<byte> buffer, long offset)
    {
        if (offset >= 0) return -Errno.ESPIPE;
        var input = Volatile.Read(ref _in);
        if (input is null) return 0; // shut down for reading: EOF
        return ((Pipe.PipeFileDescription)input).Pipe.Read(task, buffer, NonBlocking);
    }

    public override long Write(Kernel.Task task, ReadOnlySpan<byte> buffer, long offset)
    {
        if (offset >= 0) return -Errno.ESPIPE;
        var output = Volatile.Read(ref _out);
        if (output is null) return -Errno.EPIPE;
        return ((Pipe.PipeFileDescription)output).Pipe.Write(task, buffer, NonBlocking);
    }

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

    public const int SHUT_RD = 0, SHUT_WR = 1, SHUT_RDWR = 2;

    /// <summary>shutdown(2): stops a direction; the peer sees EOF (SHUT_WR) or EPIPE on its writes (SHUT_RD).</summary>
    public int Shutdown(int how)
    {
        if (how is < SHUT_RD or > SHUT_RDWR) return -Errno.EINVAL;
        if (how != SHUT_WR) Interlocked.Exchange(ref _in, null)?.DecRef();
        if (how != SHUT_RD) Interlocked.Exchange(ref _out, null)?.DecRef();
        Queue.Notify();
        return 0;
    }

    protected override void OnRelease() => Shutdown(SHUT_RDWR);
}
