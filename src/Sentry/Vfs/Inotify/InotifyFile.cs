using System.Buffers.Binary;
using System.Text;
using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Vfs.Inotify;

/// <summary>
/// An inotify instance (inotify_init1): its watches (by wd) and its queue of events, read as
/// struct inotify_event records. As Linux: an event equal to the last queued one is merged, the
/// queue holds at most max_queued_events and then one IN_Q_OVERFLOW, a read returns only whole
/// events (EINVAL when the first does not fit), FIONREAD gives the queued bytes.
/// </summary>
internal sealed class InotifyFile : FileDescription
{
    private const int HeaderSize = 16;
    private const int FIONREAD = 0x541B;

    private readonly struct QueuedEvent(int wd, uint mask, uint cookie, string? name)
    {
        public readonly int Wd = wd;
        public readonly uint Mask = mask;
        public readonly uint Cookie = cookie;
        public readonly string? Name = name;

        /// <summary>The name's bytes with its NUL, padded to a multiple of the header (round_event_name_len).</summary>
        public int NameLength => Name is null ? 0 : (Encoding.UTF8.GetByteCount(Name) + 1 + HeaderSize - 1) / HeaderSize * HeaderSize;

        public int Size => HeaderSize + NameLength;

        public bool SameAs(in QueuedEvent o) => Wd == o.Wd && Mask == o.Mask && Cookie == o.Cookie && string.Equals(Name, o.Name, StringComparison.Ordinal);
    }

    private readonly object _lock = new();
    private readonly Queue<QueuedEvent> _events = new();
    private QueuedEvent _last;
    private long _queuedBytes;
    private bool _overflowQueued;
    private readonly WaitQueue _queue = new();
    private readonly ulong _ino;
    private static long s_nextIno = 0x9000;

    /// <summary>This instance's watches by wd; guarded by <see cref="Fsnotify.Sync"/>.</summary>
    internal readonly Dictionary<int, Watch> Watches = new();

    /// <summary>The last wd handed out: wds are not reused while the instance lives (Linux's cyclic idr).</summary>
    internal int LastWd;

    /// <summary>The real uid charged with this instance and its watches (max_user_instances/watches).</summary>
    internal uint Owner { get; }

    public InotifyFile(int flags, uint owner)
        : base(null, Libc.O_RDONLY | (flags & Libc.O_NONBLOCK))
    {
        Owner = owner;
        _ino = (ulong)Interlocked.Increment(ref s_nextIno);
    }

    public override bool Seekable => false;

    public override long Size => 0;

    public override WaitQueue? ReadinessQueue => _queue;

    public override bool SignalsIo => true;

    public override short Readiness(short mask)
    {
        lock (_lock) return (short)(_events.Count > 0 ? mask & (Libc.POLLIN | 0x40 /*POLLRDNORM*/) : 0);
    }

    /// <summary>
    /// Queues one event (called under Fsnotify.Sync; the caller wakes readers with <see cref="Wake"/>
    /// once it has left that lock). As fsnotify_add_event: past max_queued_events only one
    /// IN_Q_OVERFLOW is queued (until it is read), otherwise an event equal to the last one is merged.
    /// Returns whether anything was queued.
    /// </summary>
    internal bool Enqueue(int wd, uint mask, uint cookie, string? name)
    {
        var e = new QueuedEvent(wd, mask, cookie, name);
        lock (_lock)
        {
            if (_events.Count >= Fsnotify.MaxQueuedEvents)
            {
                if (_overflowQueued) return false;
                e = new QueuedEvent(-1, InotifyMask.QOverflow, 0, null);
                _overflowQueued = true;
            }
            else if (_events.Count > 0 && _last.SameAs(e))
            {
                return false;
            }
            _events.Enqueue(e);
            _last = e;
            _queuedBytes += e.Size;
        }
        return true;
    }

    /// <summary>Wakes readers and pollers after events were queued.</summary>
    internal void Wake() => _queue.Notify(PollEvents.In | PollEvents.RdNorm);

    public override long Read(Task task, Span<byte> buffer, long offset)
    {
        _queue.Subscribe(task, PollEvents.In);
        try
        {
            while (true)
            {
                lock (_lock)
                {
                    if (_events.Count > 0) return Copy(buffer);
                }
                if (NonBlocking) return -Errno.EAGAIN;
                int r = task.Block();
                if (r < 0) return r;
            }
        }
        finally
        {
            _queue.Unsubscribe(task);
        }
    }

    /// <summary>Moves whole events into buffer (under _lock, the queue not empty).</summary>
    private long Copy(Span<byte> buffer)
    {
        int done = 0;
        while (_events.Count > 0)
        {
            var e = _events.Peek();
            int size = e.Size;
            if (size > buffer.Length - done) return done > 0 ? done : -Errno.EINVAL;
            var dst = buffer.Slice(done, size);
            BinaryPrimitives.WriteInt32LittleEndian(dst, e.Wd);
            BinaryPrimitives.WriteUInt32LittleEndian(dst[4..], e.Mask);
            BinaryPrimitives.WriteUInt32LittleEndian(dst[8..], e.Cookie);
            BinaryPrimitives.WriteUInt32LittleEndian(dst[12..], (uint)(size - HeaderSize));
            if (e.Name is not null)
            {
                var name = dst[HeaderSize..];
                name.Clear();
                Encoding.UTF8.GetBytes(e.Name, name);
            }
            _events.Dequeue();
            if (e.Mask == InotifyMask.QOverflow && e.Wd == -1) _overflowQueued = false;
            _queuedBytes -= size;
            done += size;
        }
        return done;
    }

    public override int Ioctl(Task task, ulong request, ulong arg)
    {
        if (request != FIONREAD) return -Errno.ENOTTY;
        int bytes;
        lock (_lock) bytes = (int)Math.Min(_queuedBytes, int.MaxValue);
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, bytes);
        return task.CopyOut(arg, b);
    }

    public override int GetStat(out StatBuf stat)
    {
        var now = MonotonicClock.Now();
        stat = StatFactory.Make(0, _ino, 0x180 /*0600, no type: an anonymous inode*/, 1, 0, 0, 0, now, now, now);
        return 0;
    }

    public override int Truncate(long length) => -Errno.EINVAL;

    protected override void OnRelease() => Fsnotify.InstanceReleased(this);
}
