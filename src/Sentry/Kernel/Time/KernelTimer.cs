namespace Csrunsc.Sentry.Kernel.Time;

/// <summary>
/// A timer on a wall clock (CLOCK_REALTIME, MONOTONIC, BOOTTIME and their variants), fired by the
/// <see cref="TimerService"/>. Deadlines are kept in CLOCK_MONOTONIC ns; an absolute CLOCK_REALTIME
/// setting also keeps its wall-clock target so it can follow a clock change.
/// State is guarded by <see cref="TimerService.Lock"/>; <see cref="Expire"/> runs with it held.
/// </summary>
public abstract class KernelTimer(TimerService service)
{
    internal readonly TimerService Service = service;
    internal long Deadline = long.MaxValue;
    internal long Interval;
    internal int Generation;
    internal bool RealtimeAbsolute;
    internal long RealtimeTargetNs;

    public bool Armed
    {
        get { lock (Service.Lock) return Deadline != long.MaxValue; }
    }

    /// <summary>The timer expired count times (periods missed by a late wake-up included). Must not block.</summary>
    protected internal abstract void Expire(ulong count);

    /// <summary>The host's wall clock was set (timerfd's TFD_TIMER_CANCEL_ON_SET cancels here).</summary>
    internal virtual void ClockWasSet() { }

    /// <summary>
    /// Arms at value on clock (absolute, or relative to now) with interval, or disarms when valueNs is 0.
    /// Returns the previous setting (time left, interval) as <see cref="Get"/> would have.
    /// </summary>
    public void Set(int clock, bool absolute, long valueNs, long intervalNs, out long oldLeftNs, out long oldIntervalNs)
    {
        lock (Service.Lock)
        {
            Get(out oldLeftNs, out oldIntervalNs);
            OnSet();
            if (valueNs == 0)
            {
                RealtimeAbsolute = false;
                Service.Disarm(this);
                return;
            }
            long now = MonotonicClock.NowNs();
            long deadline;
            if (absolute)
            {
                long clockNow = GuestClock.ReadWall(clock);
                deadline = now + (valueNs - clockNow);
                RealtimeAbsolute = GuestClock.IsRealtime(clock);
                RealtimeTargetNs = valueNs;
            }
            else
            {
                deadline = valueNs > long.MaxValue - now ? long.MaxValue - 1 : now + valueNs;
                RealtimeAbsolute = false;
            }
            Service.Arm(this, deadline, intervalNs);
        }
    }

    /// <summary>Called under the lock when the timer is set again (before it is re-armed).</summary>
    protected virtual void OnSet() { }

    /// <summary>Time to the next expiry (0 = disarmed; at least 1 ns while armed) and the interval.</summary>
    public void Get(out long leftNs, out long intervalNs)
    {
        lock (Service.Lock)
        {
            intervalNs = Interval;
            if (Deadline == long.MaxValue)
            {
                leftNs = 0;
                return;
            }
            leftNs = Math.Max(1, Deadline - MonotonicClock.NowNs());
        }
    }

    public void Disarm()
    {
        lock (Service.Lock)
        {
            RealtimeAbsolute = false;
            Service.Disarm(this);
        }
    }
}
