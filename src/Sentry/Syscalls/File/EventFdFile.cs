using System.Buffers.Binary;
using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>An eventfd: a 64-bit counter that read takes (all of it, or 1 in semaphore mode) and write adds to.</summary>
internal sealed class EventFdFile : FileDescription
{
    public const int EFD_SEMAPHORE = 1;
    private const ulong Max = ulong.MaxValue - 1;

    private readonly bool _semaphore;
    private ulong _count;
    private readonly WaitQueue _queue = new();
    private readonly ulong _ino;

    private static long s_nextIno = 0x1000;

    public EventFdFile(ulong initial, int flags)
        : base(null, Libc.O_RDWR | (flags & Libc.O_NONBLOCK))
    {
        _count = initial;
        _semaphore = (flags & EFD_SEMAPHORE) != 0;
        _ino = (ulong)Interlocked.Increment(ref s_nextIno);
    }

    public override bool Seekable => false;

    public override long Size => 0;

    public override WaitQueue? ReadinessQueue => _queue;

    public override short Readiness(short mask)
    {
        short r = 0;
        lock (_queue)
        {
            if (_count > 0) r |= Libc.POLLIN;
            if (_count < Max) r |= Libc.POLLOUT;
        }
        return (short)(r & mask);
    }

    public override long Read(Task task, Span<byte> buffer, long offset)
    {
        if (buffer.Length < 8) return -Errno.EINVAL;
        _queue.Subscribe(task);
        try
        {
            while (true)
            {
                ulong value = 0;
                lock (_queue)
                {
                    if (_count > 0)
                    {
                        value = _semaphore ? 1 : _count;
                        _count -= value;
                    }
                }
                if (value != 0)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(buffer, value);
                    _queue.Notify(PollEvents.Out | PollEvents.WrNorm);
                    return 8;
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

    public override long Write(Task task, ReadOnlySpan<byte> buffer, long offset)
    {
        if (buffer.Length < 8) return -Errno.EINVAL;
        ulong value = BinaryPrimitives.ReadUInt64LittleEndian(buffer);
        if (value == ulong.MaxValue) return -Errno.EINVAL;
        _queue.Subscribe(task);
        try
        {
            while (true)
            {
                bool done = false;
                lock (_queue)
                {
                    if (Max - _count >= value)
                    {
                        _count += value;
                        done = true;
                    }
                }
                if (done)
                {
                    if (value != 0) _queue.Notify(PollEvents.In | PollEvents.RdNorm);
                    return 8;
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

    public override int GetStat(out StatBuf stat)
    {
        var now = MonotonicClock.Now();
        stat = StatFactory.Make(0, _ino, 0x180 /*0600, no type: an anonymous inode*/, 1, 0, 0, 0, now, now, now);
        return 0;
    }

    public override int Truncate(long length) => -Errno.EINVAL;
}
