using Csrunsc.Native;

namespace Csrunsc.Sentry.Kernel.Time;

/// <summary>
/// One timer_create timer. It runs on a wall clock (a <see cref="KernelTimer"/>) or a CPU clock
/// (a <see cref="CpuTimer"/>) and notifies by SIGEV_SIGNAL (the process), SIGEV_THREAD_ID (one
/// thread) or SIGEV_NONE. Its signal is queued once: expiries while it is pending count as
/// overruns, and the count is handed over (si_overrun, timer_getoverrun) when the signal is taken,
/// as Linux does. Its one signal slot is charged to its creator's real uid against
/// RLIMIT_SIGPENDING for as long as the timer exists (Linux preallocates it at timer_create:
/// EAGAIN over the limit; SigQ counts it), never again when the signal is queued.
/// </summary>
public sealed class PosixTimer : ISignalSource
{
    public const int SIGEV_SIGNAL = 0, SIGEV_NONE = 1, SIGEV_THREAD = 2, SIGEV_THREAD_ID = 4;
    public const int SI_TIMER = -2;
    private const long DelayTimerMax = int.MaxValue;

    private readonly ThreadGroup _group;
    private readonly Task? _thread;
    private readonly WallTimer? _wall;
    private readonly CpuTimerImpl? _cpu;
    private readonly object _sigLock = new();
    private bool _queued;
    private long _overrun, _overrunLast;
    private bool _deleted;

    /// <summary>The RLIMIT_SIGPENDING count the timer's preallocated signal is charged to.</summary>
    internal SigpendingCount? Charged { get; init; }

    public PosixTimer(ThreadGroup group, int id, int clock, CpuClock? cpuClock, int notify, int signo, ulong value, Task? thread)
    {
        _group = group;
        Id = id;
        Clock = clock;
        Notify = notify;
        Signo = signo;
        Value = value;
        _thread = thread;
        if (cpuClock is not null) _cpu = new CpuTimerImpl(group.Kernel.Timers, cpuClock, this);
        else _wall = new WallTimer(group.Kernel.Timers, this);
    }

    public int Id { get; }
    public int Clock { get; }
    public int Notify { get; }
    public int Signo { get; }
    public ulong Value { get; }

    public void Set(bool absolute, long valueNs, long intervalNs, out long oldLeftNs, out long oldIntervalNs)
    {
        lock (_sigLock)
        {
            _overrun = 0;
            _overrunLast = 0;
        }
        if (_wall is not null) _wall.Set(Clock, absolute, valueNs, intervalNs, out oldLeftNs, out oldIntervalNs);
        else _cpu!.Set(absolute, valueNs, intervalNs, out oldLeftNs, out oldIntervalNs);
    }

    public void Get(out long leftNs, out long intervalNs)
    {
        if (_wall is not null) _wall.Get(out leftNs, out intervalNs);
        else _cpu!.Get(out leftNs, out intervalNs);
    }

    /// <summary>timer_getoverrun: the overruns of the last signal taken.</summary>
    public int Overrun
    {
        get { lock (_sigLock) return (int)Math.Min(_overrunLast, DelayTimerMax); }
    }

    /// <summary>timer_delete: stops it; a signal already queued stays pending (Linux frees it when taken).</summary>
    public void Delete()
    {
        lock (_sigLock)
        {
            if (_deleted) return;
            _deleted = true;
        }
        Charged?.Uncharge();
        if (_wall is not null) _wall.Disarm();
        else _cpu!.Disarm();
    }

    /// <summary>On the timer thread, with the service lock held.</summary>
    private void Expire(ulong count)
    {
        if (Notify == SIGEV_NONE) return;
        lock (_sigLock)
        {
            if (_deleted) return;
            if (_queued)
            {
                _overrun += (long)count;
                return;
            }
            _overrun += (long)count - 1;
        }
        var info = new SigInfo { Signo = Signo, Code = SI_TIMER, TimerId = Id, Value = Value };
        if (_thread is not null) _thread.SendSignal(in info, this);
        else _group.Kernel.SendGroupSignal(_group, in info, fromHost: false, this);
        // Not queued (the standard signal was already pending from elsewhere): the expiry is an
        // overrun, reported when the timer's signal is finally taken.
        lock (_sigLock)
        {
            if (!_queued) _overrun++;
        }
    }

    void ISignalSource.OnQueued()
    {
        lock (_sigLock) _queued = true;
    }

    void ISignalSource.OnDequeued(ref SigInfo info)
    {
        lock (_sigLock)
        {
            _queued = false;
            if (_deleted) return;
            _overrunLast = _overrun;
            _overrun = 0;
            info.Overrun = (int)Math.Min(_overrunLast, DelayTimerMax);
        }
    }

    private sealed class WallTimer(TimerService service, PosixTimer owner) : KernelTimer(service)
    {
        protected internal override void Expire(ulong count) => owner.Expire(count);
    }

    private sealed class CpuTimerImpl(TimerService service, CpuClock clock, PosixTimer owner) : CpuTimer(service, clock)
    {
        protected internal override void Expire(ulong count) => owner.Expire(count);
    }
}

/// <summary>A process's timer_create timers by id (ids from 0, as Linux hands them out).</summary>
public sealed class PosixTimerTable(ThreadGroup group)
{
    /// <summary>More timers than this per process: EAGAIN (Linux's bounds are memory and RLIMIT_SIGPENDING, charged per timer).</summary>
    public const int MaxTimers = 32768;

    private readonly Dictionary<int, PosixTimer> _timers = new();
    private int _nextId;

    public ThreadGroup Group { get; } = group;

    public int Create(int clock, CpuClock? cpu, int notify, int signo, ulong? value, Task? thread, out int id)
    {
        lock (_timers)
        {
            id = -1;
            if (_timers.Count >= MaxTimers) return -Errno.EAGAIN;
            var charged = Group.Kernel.SigpendingOf(Group);
            if (!charged.TryCharge(Rlimits.Cur(Group, Rlimits.SIGPENDING), overrideLimit: false)) return -Errno.EAGAIN;
            while (_timers.ContainsKey(_nextId)) _nextId = (_nextId + 1) & int.MaxValue;
            id = _nextId;
            _nextId = (_nextId + 1) & int.MaxValue;
            // Without a sigevent the value is the timer's id (sival_int), as Linux sets it.
            _timers[id] = new PosixTimer(Group, id, clock, cpu, notify, signo, value ?? (ulong)id, thread) { Charged = charged };
            return 0;
        }
    }

    public PosixTimer? Get(int id)
    {
        lock (_timers) return _timers.GetValueOrDefault(id);
    }

    public int Delete(int id)
    {
        PosixTimer? t;
        lock (_timers)
        {
            if (!_timers.Remove(id, out t)) return -Errno.EINVAL;
        }
        t.Delete();
        return 0;
    }

    /// <summary>exec and exit: every timer goes.</summary>
    public void DeleteAll()
    {
        PosixTimer[] all;
        lock (_timers)
        {
            if (_timers.Count == 0) return;
            all = _timers.Values.ToArray();
            _timers.Clear();
        }
        foreach (var t in all) t.Delete();
    }
}
