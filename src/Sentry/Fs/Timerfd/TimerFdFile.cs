using System.Buffers.Binary;
using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Kernel.Time;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Fs.Timerfd;

/// <summary>
/// A timerfd: a <see cref="KernelTimer"/> whose expiries add to a counter that read takes (8 bytes);
/// readable (POLLIN) while the counter is not zero. With TFD_TIMER_CANCEL_ON_SET on an absolute
/// CLOCK_REALTIME setting, a change of the wall clock makes the next read fail with ECANCELED.
/// </summary>
public sealed class TimerFdFile : FileDescription
{
    public const int TFD_TIMER_ABSTIME = 1, TFD_TIMER_CANCEL_ON_SET = 2;

    private readonly Timer _timer;
    private readonly WaitQueue _queue = new();
    private readonly ulong _ino;
    private ulong _ticks;      // guarded by _queue
    private bool _cancelMode;  // guarded by the timer service lock
    private bool _canceled;    // guarded by _queue

    private static long s_nextIno = 0x2000_0000;

    public TimerFdFile(TimerService service, int clock, int flags)
        : base(null, Libc.O_RDWR | (flags & Libc.O_NONBLOCK))
    {
        Clock = clock;
        _timer = new Timer(service, this);
        _ino = (ulong)Interlocked.Increment(ref s_nextIno);
    }

    public int Clock { get; }

    public override bool Seekable => false;
    public override bool SignalsBrokenPipe => false;
    public override long Size => 0;
    public override WaitQueue? ReadinessQueue => _queue;

    public override short Readiness(short mask)
    {
        lock (_queue) return (short)((_ticks > 0 || _canceled ? Libc.POLLIN : 0) & mask);
    }

    public void Set(int flags, long valueNs, long intervalNs, out long oldLeftNs, out long oldIntervalNs)
    {
        bool absolute = (flags & TFD_TIMER_ABSTIME) != 0;
        lock (_timer.Service.Lock)
        {
            lock (_queue)
            {
                _ticks = 0;
                _canceled = false;
            }
            _cancelMode = absolute && (flags & TFD_TIMER_CANCEL_ON_SET) != 0 && GuestClock.IsRealtime(Clock);
            _timer.Set(Clock, absolute, valueNs, intervalNs, out oldLeftNs, out oldIntervalNs);
        }
    }

    public void Get(out long leftNs, out long intervalNs) => _timer.Get(out leftNs, out intervalNs);

    public override long Read(Task task, Span<byte> buffer, long offset)
    {
        if (buffer.Length < 8) return -Errno.EINVAL;
        _queue.Subscribe(task, PollEvents.In);
        try
        {
            while (true)
            {
                ulong ticks;
                lock (_queue)
                {
                    if (_canceled)
                    {
                        _canceled = false;
                        _ticks = 0;
                        return -Errno.ECANCELED;
                    }
                    ticks = _ticks;
                    _ticks = 0;
                }
                if (ticks != 0)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(buffer, ticks);
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

    protected override void OnRelease()
    {
        _timer.Disarm();
        base.OnRelease();
    }

    public override int GetStat(out StatBuf stat)
    {
        var now = MonotonicClock.Now();
        stat = StatFactory.Make(0, _ino, 0x180 /*0600, an anonymous inode*/, 1, 0, 0, 0, now, now, now);
        return 0;
    }

    public override int Truncate(long length) => -Errno.EINVAL;

    private void Expired(ulong count)
    {
        lock (_queue) _ticks += count;
        _queue.Notify(PollEvents.In | PollEvents.RdNorm);
    }

    private void Canceled()
    {
        if (!_cancelMode) return;
        lock (_queue) _canceled = true;
        _queue.Notify(PollEvents.In | PollEvents.RdNorm);
    }

    private sealed class Timer(TimerService service, TimerFdFile file) : KernelTimer(service)
    {
        protected internal override void Expire(ulong count) => file.Expired(count);

        internal override void ClockWasSet() => file.Canceled();
    }
}
