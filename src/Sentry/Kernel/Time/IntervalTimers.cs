using Csrunsc.Native;

namespace Csrunsc.Sentry.Kernel.Time;

/// <summary>
/// A process's alarm/setitimer timers: ITIMER_REAL (SIGALRM, wall clock), ITIMER_VIRTUAL
/// (SIGVTALRM, the group's user time) and ITIMER_PROF (SIGPROF, user + system time). Their
/// signals carry SI_KERNEL, as Linux's (SEND_SIG_PRIV). Kept across exec; a fork starts with none.
/// </summary>
public sealed class IntervalTimers
{
    public const int ITIMER_REAL = 0, ITIMER_VIRTUAL = 1, ITIMER_PROF = 2;
    public const int SI_KERNEL = 0x80;

    private readonly ThreadGroup _group;
    private RealTimer? _real;
    private GroupCpuTimer? _virtual, _prof;

    public IntervalTimers(ThreadGroup group) => _group = group;

    private TimerService Service => _group.Kernel.Timers;

    /// <summary>setitimer: arms which (value 0 disarms); returns the old (left, interval). 0 or -EINVAL.</summary>
    public int Set(int which, long valueNs, long intervalNs, out long oldLeftNs, out long oldIntervalNs)
    {
        oldLeftNs = oldIntervalNs = 0;
        switch (which)
        {
            case ITIMER_REAL:
                lock (this) _real ??= new RealTimer(Service, _group);
                _real.Set(GuestClock.MONOTONIC, absolute: false, valueNs, intervalNs, out oldLeftNs, out oldIntervalNs);
                return 0;
            case ITIMER_VIRTUAL:
            case ITIMER_PROF:
                var t = Cpu(which);
                t.Set(absolute: false, valueNs, intervalNs, out oldLeftNs, out oldIntervalNs);
                return 0;
            default:
                return -Errno.EINVAL;
        }
    }

    /// <summary>getitimer: 0 or -EINVAL.</summary>
    public int Get(int which, out long leftNs, out long intervalNs)
    {
        leftNs = intervalNs = 0;
        switch (which)
        {
            case ITIMER_REAL:
                _real?.Get(out leftNs, out intervalNs);
                return 0;
            case ITIMER_VIRTUAL:
                _virtual?.Get(out leftNs, out intervalNs);
                return 0;
            case ITIMER_PROF:
                _prof?.Get(out leftNs, out intervalNs);
                return 0;
            default:
                return -Errno.EINVAL;
        }
    }

    private GroupCpuTimer Cpu(int which)
    {
        lock (this)
        {
            if (which == ITIMER_VIRTUAL)
                return _virtual ??= new GroupCpuTimer(Service, _group, GuestClock.CpuVirt, Libc.SIGVTALRM);
            return _prof ??= new GroupCpuTimer(Service, _group, GuestClock.CpuProf, Libc.SIGPROF);
        }
    }

    /// <summary>The process exited: nothing may fire for it any more.</summary>
    public void DisarmAll()
    {
        _real?.Disarm();
        _virtual?.Disarm();
        _prof?.Disarm();
    }

    private static SigInfo KernelInfo(int sig) => new() { Signo = sig, Code = SI_KERNEL };

    private sealed class RealTimer(TimerService service, ThreadGroup group) : KernelTimer(service)
    {
        protected internal override void Expire(ulong count) =>
            group.Kernel.SendGroupSignal(group, KernelInfo(Libc.SIGALRM), fromHost: false);
    }

    private sealed class GroupCpuTimer(TimerService service, ThreadGroup group, int which, int sig)
        : CpuTimer(service, new CpuClock(null, group, which))
    {
        protected internal override void Expire(ulong count) =>
            group.Kernel.SendGroupSignal(group, KernelInfo(sig), fromHost: false);
    }
}
