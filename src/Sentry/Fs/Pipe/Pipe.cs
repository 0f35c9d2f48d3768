using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs.Pipe;

/// <summary>
/// A pipe: a 64 KiB ring buffer shared by read and write ends (pipe(2), and FIFOs). Writes of at most
/// <see cref="PipeBuf"/> bytes are atomic; larger ones may be split and interleave. EOF once every
/// writer is gone, EPIPE once every reader is gone (the syscall layer raises SIGPIPE).
/// </summary>
public sealed class Pipe
{
    public const int PipeBuf = 4096;
    public const int DefaultCapacity = 64 * 1024;
    public const ulong FIONREAD = 0x541B;

    private byte[]? _buffer;
    private int _head;
    private int _count;
    private int _readers, _writers;
    private long _readerOpens, _writerOpens;

    /// <param name="queue">Shared with another pipe when one object waits on both (a socket pair's two directions).</param>
    public Pipe(int capacity = DefaultCapacity, WaitQueue? queue = null)
    {
        Capacity = capacity;
        Queue = queue ?? new WaitQueue();
    }

    public int Capacity { get; }

    /// <summary>Notified whenever data, space, or the set of ends changes; both ends poll on it.</summary>
    public WaitQueue Queue { get; }

    /// <summary>Bytes waiting to be read.</summary>
    public int Count
    {
        get { lock (this) return _count; }
    }

    /// <summary>
    /// pipe(2)/pipe2(2): makes an anonymous pipe and its two ends. flags: O_NONBLOCK (and O_CLOEXEC,
    /// O_DIRECT, which the caller handles or which change nothing here).
    /// </summary>
    public static void Create(out FileDescription readEnd, out FileDescription writeEnd, int flags)
    {
        var pipe = new Pipe();
        var inode = new PipeInode(pipe);
        int status = flags & Libc.O_NONBLOCK;
        readEnd = pipe.NewEnd(inode, Libc.O_RDONLY | status);
        writeEnd = pipe.NewEnd(inode, Libc.O_WRONLY | status);
    }

    /// <summary>A new end over this pipe (counts as a reader and/or writer per the access mode) without waiting.</summary>
    public PipeFileDescription NewEnd(Inode inode, int flags)
    {
        var end = new PipeFileDescription(this, inode, flags);
        lock (this)
        {
            if (end.Readable)
            {
                _readers++;
                _readerOpens++;
            }
            if (end.Writable)
            {
                _writers++;
                _writerOpens++;
            }
        }
        Queue.Notify();
        return end;
    }

    /// <summary>
    /// open(2) of a FIFO: a reader waits for a writer and a writer for a reader unless O_NONBLOCK
    /// (a non-blocking writer with no reader gets ENXIO); O_RDWR never waits.
    /// </summary>
    public int OpenFifo(Inode inode, int flags, Kernel.Task? task, out FileDescription? file)
    {
        file = null;
        int mode = flags & Libc.O_ACCMODE;
        bool nonBlocking = (flags & Libc.O_NONBLOCK) != 0;
        if (mode == Libc.O_WRONLY && nonBlocking)
        {
            lock (this)
            {
                if (_readers == 0) return -Errno.ENXIO;
            }
        }
        long peerOpensBefore;
        lock (this) peerOpensBefore = mode == Libc.O_RDONLY ? _writerOpens : _readerOpens;
        var end = NewEnd(inode, flags);
        if (mode == Libc.O_RDWR || nonBlocking || task is null)
        {
            file = end;
            return 0;
        }
        Queue.Subscribe(task);
        try
        {
            while (true)
            {
                lock (this)
                {
                    bool peer = mode == Libc.O_RDONLY
                        ? _writers > 0 || _writerOpens != peerOpensBefore
                        : _readers > 0 || _readerOpens != peerOpensBefore;
                    if (peer)
                    {
                        file = end;
                        return 0;
                    }
                }
                int r = task.Block();
                if (r < 0)
                {
                    end.DecRef();
                    return r;
                }
            }
        }
        finally
        {
            Queue.Unsubscribe(task);
        }
    }

    public long Read(Kernel.Task task, Span<byte> dst, bool nonBlocking)
    {
        if (dst.Length == 0) return 0;
        long n = TryRead(dst);
        if (n != -Errno.EAGAIN || nonBlocking) return n;
        Queue.Subscribe(task);
        try
        {
            while (true)
            {
                n = TryRead(dst);
                if (n != -Errno.EAGAIN) return n;
                int r = task.Block();
                if (r < 0) return r;
            }
        }
        finally
        {
            Queue.Unsubscribe(task);
        }
    }

    public long Write(Kernel.Task task, ReadOnlySpan<byte> src, bool nonBlocking)
    {
        if (src.Length == 0) return 0;
        bool atomic = src.Length <= PipeBuf;
        long written = 0;
        bool subscribed = false;
        try
        {
            while (true)
            {
                int n;
                lock (this)
                {
                    if (_readers == 0) return written > 0 ? written : -Errno.EPIPE;
                    int free = Capacity - _count;
                    n = atomic ? (free >= src.Length ? src.Length : 0) : Math.Min(free, src.Length - (int)written);
                    if (n > 0) Put(src.Slice((int)written, n));
                }
                if (n > 0)
                {
                    written += n;
                    Queue.Notify(PollEvents.In | PollEvents.RdNorm);
                    if (written == src.Length) return written;
                    continue;
                }
                if (nonBlocking) return written > 0 ? written : -Errno.EAGAIN;
                if (!subscribed)
                {
                    // Subscribe, then look again: a reader draining in between is not missed.
                    Queue.Subscribe(task);
                    subscribed = true;
                    continue;
                }
                int r = task.Block();
                if (r < 0) return written > 0 ? written : r;
            }
        }
        finally
        {
            if (subscribed) Queue.Unsubscribe(task);
        }
    }

    /// <summary>Events of one end: POLLIN/POLLHUP for a reader, POLLOUT/POLLERR for a writer.</summary>
    public short Readiness(bool reader, bool writer, short mask)
    {
        int ev = 0;
        lock (this)
        {
            if (reader)
            {
                if (_count > 0) ev |= Libc.POLLIN;
                if (_writers == 0 && _writerOpens > 0) ev |= Libc.POLLHUP;
            }
            if (writer)
            {
                if (Capacity - _count >= PipeBuf) ev |= Libc.POLLOUT;
                if (_readers == 0) ev |= Libc.POLLERR;
            }
        }
        return (short)(ev & (mask | Libc.POLLHUP | Libc.POLLERR));
    }

    internal void Release(bool reader, bool writer)
    {
        lock (this)
        {
            if (reader) _readers--;
            if (writer) _writers--;
            if (_readers == 0 && _writers == 0)
            {
                // Nobody can see the data any more (a FIFO reopened later starts empty).
                _buffer = null;
                _head = 0;
                _count = 0;
            }
        }
        Queue.Notify();
    }

    /// <summary>Reads what is there: bytes read, 0 at EOF, or -EAGAIN when it would block.</summary>
    private long TryRead(Span<byte> dst)
    {
        int n;
        lock (this)
        {
            if (_count == 0) return _writers == 0 ? 0 : -Errno.EAGAIN;
            n = Math.Min(dst.Length, _count);
            int first = Math.Min(n, Capacity - _head);
            _buffer.AsSpan(_head, first).CopyTo(dst);
            if (first < n) _buffer.AsSpan(0, n - first).CopyTo(dst[first..]);
            _head = (_head + n) % Capacity;
            _count -= n;
            if (_count == 0) _head = 0;
        }
        Queue.Notify(PollEvents.Out | PollEvents.WrNorm);
        return n;
    }

    /// <summary>Appends to the ring; the caller checked there is room and holds the lock.</summary>
    private void Put(ReadOnlySpan<byte> src)
    {
        _buffer ??= new byte[Capacity];
        int tail = (_head + _count) % Capacity;
        int first = Math.Min(src.Length, Capacity - tail);
        src[..first].CopyTo(_buffer.AsSpan(tail));
        if (first < src.Length) src[first..].CopyTo(_buffer);
        _count += src.Length;
    }
}
