using Csrunsc.Native;

namespace Csrunsc.Sentry.Kernel.Time;

/// <summary>
/// The one thread that fires every guest timer (alarm, itimers, POSIX timers, timerfds): a heap of
/// CLOCK_MONOTONIC deadlines and one host timerfd armed at the earliest. No OS thread per timer.
/// A second host timerfd (CLOCK_REALTIME, TFD_TIMER_CANCEL_ON_SET) tells it when the host's wall
/// clock is set, so absolute CLOCK_REALTIME timers follow the clock as Linux's do.
/// CPU-time timers (ITIMER_VIRTUAL/PROF, CPU-clock POSIX timers) are checked by a 10 ms tick
/// (Linux's CONFIG_HZ granularity) that runs only while one is armed.
/// </summary>
public sealed class TimerService
{
    /// <summary>Period of the CPU-timer tick (as Linux checks CPU timers on each scheduler tick).</summary>
    public const long CpuTickNs = 10_000_000;

    private readonly object _lock = new();
    private readonly PriorityQueue<(KernelTimer Timer, int Gen), long> _heap = new();
    private readonly HashSet<KernelTimer> _realtimeAbsolute = new();
    private readonly HashSet<CpuTimer> _cpuTimers = new();
    private int _monoFd = -1, _realFd = -1;
    private long _armedAt = long.MaxValue;
    private Thread? _thread;
    private readonly CpuTickTimer _cpuTick;

    public TimerService()
    {
        _cpuTick = new CpuTickTimer(this);
    }

    /// <summary>The lock every timer's state is changed under (expiry callbacks run with it held).</summary>
    internal object Lock => _lock;

    /// <summary>Arms (or re-arms) a timer at an absolute CLOCK_MONOTONIC deadline; interval 0 = one-shot.</summary>
    internal void Arm(KernelTimer t, long deadlineNs, long intervalNs)
    {
        lock (_lock)
        {
            t.Generation++;
            t.Deadline = deadlineNs;
            t.Interval = intervalNs;
            _heap.Enqueue((t, t.Generation), deadlineNs);
            if (t.RealtimeAbsolute) _realtimeAbsolute.Add(t);
            else _realtimeAbsolute.Remove(t);
            EnsureStarted();
            if (deadlineNs < _armedAt) ProgramHost(deadlineNs);
        }
    }

    internal void Disarm(KernelTimer t)
    {
        lock (_lock)
        {
            t.Generation++;
            t.Deadline = long.MaxValue;
            t.Interval = 0;
            _realtimeAbsolute.Remove(t);
            // The heap entry stays until it surfaces; its generation no longer matches.
        }
    }

    internal void AddCpuTimer(CpuTimer t)
    {
        lock (_lock)
        {
            if (_cpuTimers.Add(t) && _cpuTimers.Count == 1)
                Arm(_cpuTick, MonotonicClock.NowNs() + CpuTickNs, CpuTickNs);
        }
    }

    internal void RemoveCpuTimer(CpuTimer t)
    {
        lock (_lock)
        {
            if (_cpuTimers.Remove(t) && _cpuTimers.Count == 0) Disarm(_cpuTick);
        }
    }

    private void EnsureStarted()
    {
        if (_thread is not null) return;
        _monoFd = Libc.TimerFdCreate(MonotonicClock.CLOCK_MONOTONIC, Libc.O_CLOEXEC | Libc.O_NONBLOCK);
        _realFd = Libc.TimerFdCreate(MonotonicClock.CLOCK_REALTIME, Libc.O_CLOEXEC | Libc.O_NONBLOCK);
        if (_monoFd < 0) throw new InvalidOperationException("timerfd_create failed: " + Errno.Name(Libc.LastErrno));
        ArmClockWatch();
        _thread = new Thread(Loop, 256 * 1024) { IsBackground = true, Name = "guest-timers" };
        _thread.Start();
    }

    /// <summary>Programs the host timerfd for the earliest deadline (absolute CLOCK_MONOTONIC).</summary>
    private unsafe void ProgramHost(long deadlineNs)
    {
        _armedAt = deadlineNs;
        var spec = new ITimerSpec();
        if (deadlineNs != long.MaxValue)
        {
            long at = Math.Max(deadlineNs, 1);
            spec.Value = new Timespec { Sec = at / 1_000_000_000, Nsec = at % 1_000_000_000 };
        }
        Libc.TimerFdSetTime(_monoFd, 1 /*TFD_TIMER_ABSTIME*/, &spec, null);
    }

    /// <summary>A far-future absolute CLOCK_REALTIME timer with CANCEL_ON_SET: its read fails with ECANCELED when the clock is set.</summary>
    private unsafe void ArmClockWatch()
    {
        if (_realFd < 0) return;
        var spec = new ITimerSpec { Value = new Timespec { Sec = long.MaxValue / 1_000_000_000 / 2, Nsec = 0 } };
        Libc.TimerFdSetTime(_realFd, 1 /*TFD_TIMER_ABSTIME*/ | 2 /*TFD_TIMER_CANCEL_ON_SET*/, &spec, null);
    }

    private unsafe void Loop()
    {
        PollFd* pfd = stackalloc PollFd[2];
        while (true)
        {
            pfd[0] = new PollFd { Fd = _monoFd, Events = Libc.POLLIN };
            pfd[1] = new PollFd { Fd = _realFd, Events = Libc.POLLIN };
            int n = Libc.Poll(pfd, _realFd >= 0 ? 2UL : 1UL, -1);
            if (n < 0) continue; // EINTR (the runtime's signals)
            ulong ticks;
            if (pfd[0].REvents != 0) Libc.Read(_monoFd, (byte*)&ticks, 8);
            if (_realFd >= 0 && pfd[1].REvents != 0)
            {
                nint r = Libc.Read(_realFd, (byte*)&ticks, 8);
                if (r < 0 && Libc.LastErrno == Errno.ECANCELED)
                {
                    ArmClockWatch();
                    ClockWasSet();
                }
            }
            FireDue();
        }
    }

    private void FireDue()
    {
        lock (_lock)
        {
            long now = MonotonicClock.NowNs();
            while (_heap.TryPeek(out var e, out long at))
            {
                if (e.Gen != e.Timer.Generation)
                {
                    _heap.Dequeue();
                    continue;
                }
                if (at > now) break;
                _heap.Dequeue();
                var t = e.Timer;
                ulong count = 1;
                if (t.Interval > 0)
                {
                    // Every period that passed counts (late wake-ups become overruns, as on Linux).
                    long late = now - t.Deadline;
                    count += (ulong)(late / t.Interval);
                    t.Deadline += (long)count * t.Interval;
                    _heap.Enqueue((t, t.Generation), t.Deadline);
                }
                else
                {
                    t.Generation++;
                    t.Deadline = long.MaxValue;
                    _realtimeAbsolute.Remove(t);
                }
                t.Expire(count);
            }
            ProgramHost(_heap.TryPeek(out _, out long next) ? next : long.MaxValue);
        }
    }

    /// <summary>The host's wall clock was set: absolute CLOCK_REALTIME deadlines move with it.</summary>
    private void ClockWasSet()
    {
        lock (_lock)
        {
            foreach (var t in _realtimeAbsolute.ToArray())
            {
                if (t.Deadline == long.MaxValue) continue;
                t.ClockWasSet();
                if (t.Deadline == long.MaxValue) continue;
                long deadline = t.RealtimeTargetNs - MonotonicClock.RealtimeNs() + MonotonicClock.NowNs();
                t.Generation++;
                t.Deadline = deadline;
                _heap.Enqueue((t, t.Generation), deadline);
            }
            _armedAt = long.MinValue; // force FireDue to reprogram
        }
    }

    /// <summary>The CPU tick: samples the CPU clocks every armed CPU timer watches.</summary>
    private sealed class CpuTickTimer(TimerService service) : KernelTimer(service)
    {
        protected internal override void Expire(ulong count)
        {
            foreach (var t in Service._cpuTimers.ToArray()) t.Check();
        }
    }
}
