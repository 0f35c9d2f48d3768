using Csrunsc.Native;

namespace Csrunsc.Sentry.Kernel.Time;

/// <summary>
/// RLIMIT_CPU as Linux's check_process_timers enforces it, on the thread group's CPU clock (user +
/// system, as ITIMER_PROF): when the clock reaches the hard limit SIGKILL; at the soft limit SIGXCPU,
/// and the soft limit moves up one second so SIGXCPU comes again each further second of CPU. A
/// soft limit of RLIM_INFINITY disables the check, the hard one included (as there). Both signals
/// are SEND_SIG_PRIV (SI_KERNEL). Checked on the CPU tick, so within 10 ms of the limit.
/// </summary>
public sealed class RlimitCpuTimer(TimerService service, ThreadGroup group)
    : CpuTimer(service, new CpuClock(null, group, GuestClock.CpuProf))
{
    private const long NsPerSec = 1_000_000_000;
    private const int SI_KERNEL = 0x80;

    /// <summary>Re-arms at the current limits (setrlimit, fork, the container's start).</summary>
    public void Update()
    {
        lock (Service.Lock)
        {
            var (soft, hard) = Rlimits.Get(group, Rlimits.CPU);
            if (soft == Rlimits.Infinity)
            {
                Disarm();
                return;
            }
            Arm(soft, hard);
        }
    }

    private void Arm(ulong soft, ulong hard)
    {
        long target = Ns(soft);
        if (hard != Rlimits.Infinity) target = Math.Min(target, Ns(hard));
        // 0 would disarm: a zero limit is due at once.
        Set(absolute: true, Math.Max(target, 1), 0, out _, out _);
    }

    private static long Ns(ulong seconds) => seconds >= (ulong)(long.MaxValue / NsPerSec) ? long.MaxValue - 1 : (long)seconds * NsPerSec;

    protected internal override void Expire(ulong count)
    {
        var (soft, hard) = Rlimits.Get(group, Rlimits.CPU);
        if (soft == Rlimits.Infinity) return;
        long now = Clock.Read();
        if (hard != Rlimits.Infinity && now >= Ns(hard))
        {
            group.Kernel.SendGroupSignal(group, new SigInfo { Signo = Libc.SIGKILL, Code = SI_KERNEL }, fromHost: false);
            return;
        }
        if (now >= Ns(soft))
        {
            // The limit moves before the signal goes: Linux does both in one tick under the signal
            // lock, so a handler always reads the new rlim_cur (sent first, it raced the handler).
            lock (group.Rlimits)
            {
                if (group.Rlimits[Rlimits.CPU].Cur == soft && soft < hard) group.Rlimits[Rlimits.CPU].Cur = soft + 1;
                (soft, hard) = group.Rlimits[Rlimits.CPU];
            }
            group.Kernel.SendGroupSignal(group, new SigInfo { Signo = Libc.SIGXCPU, Code = SI_KERNEL }, fromHost: false);
        }
        Arm(soft, hard);
    }
}
