namespace Csrunsc.Sentry.Kernel.Time;

/// <summary>
/// A timer on a CPU-time clock (ITIMER_VIRTUAL/PROF, timer_create on a CPU clock). The
/// <see cref="TimerService"/>'s CPU tick checks it while armed, so it fires within a tick (10 ms)
/// of the clock passing its target, as Linux's tick-driven CPU timers do.
/// </summary>
public abstract class CpuTimer(TimerService service, CpuClock clock)
{
    internal readonly TimerService Service = service;
    public CpuClock Clock { get; } = clock;
    private long _target = long.MaxValue, _interval;

    protected internal abstract void Expire(ulong count);

    public void Set(bool absolute, long valueNs, long intervalNs, out long oldLeftNs, out long oldIntervalNs)
    {
        lock (Service.Lock)
        {
            Get(out oldLeftNs, out oldIntervalNs);
            OnSet();
            if (valueNs == 0)
            {
                _target = long.MaxValue;
                _interval = 0;
                Service.RemoveCpuTimer(this);
                return;
            }
            long now = Clock.Read();
            _target = absolute ? valueNs : now + valueNs;
            _interval = intervalNs;
            Service.AddCpuTimer(this);
        }
    }

    protected virtual void OnSet() { }

    public void Get(out long leftNs, out long intervalNs)
    {
        lock (Service.Lock)
        {
            intervalNs = _interval;
            if (_target == long.MaxValue)
            {
                leftNs = 0;
                return;
            }
            leftNs = Math.Max(1, _target - Clock.Read());
        }
    }

    public void Disarm()
    {
        lock (Service.Lock)
        {
            _target = long.MaxValue;
            _interval = 0;
            Service.RemoveCpuTimer(this);
        }
    }

    /// <summary>On the CPU tick, with the service lock held.</summary>
    internal void Check()
    {
        if (_target == long.MaxValue) return;
        long now = Clock.Read();
        if (now < _target) return;
        ulong count = 1;
        if (_interval > 0)
        {
            count += (ulong)((now - _target) / _interval);
            _target += (long)count * _interval;
        }
        else
        {
            _target = long.MaxValue;
            Service.RemoveCpuTimer(this);
        }
        Expire(count);
    }
}
