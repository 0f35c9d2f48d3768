using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs.Pipe;

/// <summary>
/// A pipe: a 64 KiB ring buffer shared by read and write ends (pipe(2), and FIFOs). Writes of at most
/// <see cref="PipeBuf"/> bytes are atomic; larger ones may be split and interleave. EOF once every
/// writer is gone, EPIPE once every reader is gone (the syscall layer raises SIGPIPE; a write cut
/// short by the last reader's close returns its count and raises SIGPIPE itself, as pipe_write).
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

    /// <summary>Bytes the pipe holds at most (F_SETPIPE_SZ changes it).</summary>
    public int Capacity { get; private set; }

    /// <summary>
    /// F_SETPIPE_SZ (pipe_set_size): the size rounded up to a power-of-two number of pages; EBUSY
    /// when more is queued than fits. Returns the new capacity or -errno.
    /// </summary>
    public int SetCapacity(long size)
    {
        size = (uint)size; // an unsigned int argument
        if (size > (1L << 31)) return -Errno.EINVAL;
        int pages = (int)((Math.Max(size, 4096) + 4095) / 4096);
        int capacity = (int)Math.Min(System.Numerics.BitOperations.RoundUpToPowerOf2((uint)pages) * 4096L, 1L << 30);
        lock (this)
        {
            if (_count > capacity) return -Errno.EBUSY;
            if (capacity != Capacity)
            {
                if (_buffer is not null)
                {
                    var next = new byte[capacity];
                    int first = Math.Min(_count, Capacity - _head);
                    _buffer.AsSpan(_head, first).CopyTo(next);
                    if (first < _count) _buffer.AsSpan(0, _count - first).CopyTo(next.AsSpan(first));
                    _buffer = next;
                }
                _head = 0;
                Capacity = capacity;
            }
        }
        Queue.Notify();
        return capacity;
    }

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
                    if (_readers == 0)
                    {
                        if (written == 0) return -Errno.EPIPE;
                        // pipe_write: the last reader left mid-write: the bytes written so far,
                        // and SIGPIPE all the same (the syscall layer raises it only for EPIPE).
                        task.SendSignalToSelf(Libc.SIGPIPE);
                        return written;
                    }
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

    // ---- splice, tee, vmsplice (Syscalls/File/SysSplice) ----

    private static long s_nextId;

    /// <summary>Orders the locks of two pipes taken together (pipe-to-pipe splice and tee).</summary>
    internal readonly long Id = Interlocked.Increment(ref s_nextId);

    /// <summary>
    /// What a splice reading this pipe may do now (splice_from_pipe_next / ipipe_prep): 1 data
    /// waits, 0 end of file (no writer), -EAGAIN empty. Under no lock: the answer may be stale.
    /// </summary>
    internal int ReadState()
    {
        lock (this) return _count > 0 ? 1 : _writers == 0 ? 0 : -Errno.EAGAIN;
    }

    /// <summary>What a splice writing this pipe may do now (wait_for_space / opipe_prep): 1 room, -EPIPE no reader, -EAGAIN full.</summary>
    internal int WriteState()
    {
        // Room is a free page, as a pipe slot is (a 4 KiB pipe holding 128 bytes is full for splice).
        lock (this) return _readers == 0 ? -Errno.EPIPE : Capacity - _count >= Math.Min(PipeBuf, Capacity) ? 1 : -Errno.EAGAIN;
    }

    /// <summary>Copies up to dst.Length queued bytes without taking them (tee, and a splice before it knows how much the file took).</summary>
    internal int Peek(Span<byte> dst)
    {
        lock (this) return PeekLocked(dst);
    }

    private int PeekLocked(Span<byte> dst)
    {
        int n = Math.Min(dst.Length, _count);
        if (n == 0) return 0;
        int first = Math.Min(n, Capacity - _head);
        _buffer.AsSpan(_head, first).CopyTo(dst);
        if (first < n) _buffer.AsSpan(0, n - first).CopyTo(dst[first..]);
        return n;
    }

    /// <summary>Drops n bytes that were peeked (only the splicing reader takes them).</summary>
    internal void Consume(int n)
    {
        if (n <= 0) return;
        lock (this) ConsumeLocked(n);
        Queue.Notify(PollEvents.Out | PollEvents.WrNorm);
    }

    private void ConsumeLocked(int n)
    {
        n = Math.Min(n, _count);
        _head = (_head + n) % Capacity;
        _count -= n;
        if (_count == 0) _head = 0;
    }

    /// <summary>Appends what fits of src without waiting: bytes taken, or -EPIPE with no reader.</summary>
    internal int PutSome(ReadOnlySpan<byte> src)
    {
        int n;
        lock (this)
        {
            if (_readers == 0) return -Errno.EPIPE;
            n = Math.Min(src.Length, Capacity - _count);
            if (n > 0) Put(src[..n]);
        }
        if (n > 0) Queue.Notify(PollEvents.In | PollEvents.RdNorm);
        return n;
    }

    /// <summary>
    /// Moves (or, for tee, copies) up to len bytes from src to dst under both pipes' locks, through
    /// scratch: bytes moved, 0 when src is empty or dst full, -EPIPE when dst has no reader.
    /// </summary>
    internal static int Transfer(Pipe src, Pipe dst, int len, Span<byte> scratch, bool consume)
    {
        var first = src.Id < dst.Id ? src : dst;
        var second = ReferenceEquals(first, src) ? dst : src;
        int n;
        lock (first)
        {
            lock (second)
            {
                if (dst._readers == 0) return -Errno.EPIPE;
                n = Math.Min(Math.Min(len, scratch.Length), Math.Min(src._count, dst.Capacity - dst._count));
                if (n <= 0) return 0;
                src.PeekLocked(scratch[..n]);
                if (consume) src.ConsumeLocked(n);
                dst.Put(scratch[..n]);
            }
        }
        if (consume) src.Queue.Notify(PollEvents.Out | PollEvents.WrNorm);
        dst.Queue.Notify(PollEvents.In | PollEvents.RdNorm);
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
