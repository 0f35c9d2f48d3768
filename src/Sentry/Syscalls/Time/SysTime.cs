using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Kernel.Time;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Time;

/// <summary>Clocks and sleeps. There is no vDSO, so these are hot for some programs: no allocation.</summary>
internal static class SysTime
{
    private const long NsPerSec = 1_000_000_000;

    /// <summary>Reads any guest clock id: ns, or -EINVAL.</summary>
    private static long ReadClock(Task t, int clock)
    {
        if (GuestClock.IsWall(clock)) return GuestClock.ReadWall(clock);
        return GuestClock.ReadCpu(t, clock);
    }

    public static long ClockGettime(Task t, in SyscallArguments a)
    {
        long ns = ReadClock(t, a.Int(0));
        if (ns < 0) return ns;
        return t.WriteStruct(a.A1, SysTimers.ToTimespec(ns)) < 0 ? -Errno.EFAULT : 0;
    }

    public static long ClockGetres(Task t, in SyscallArguments a)
    {
        int clock = a.Int(0);
        if (ReadClock(t, clock) < 0) return -Errno.EINVAL;
        if (a.A1 == 0) return 0;
        // The coarse clocks tick with the scheduler (CONFIG_HZ 250), the others are high-resolution.
        long res = clock is GuestClock.REALTIME_COARSE or GuestClock.MONOTONIC_COARSE ? 4_000_000 : 1;
        return t.WriteStruct(a.A1, new Timespec { Sec = 0, Nsec = res }) < 0 ? -Errno.EFAULT : 0;
    }

    public static long Gettimeofday(Task t, in SyscallArguments a)
    {
        if (a.A0 != 0)
        {
            long ns = MonotonicClock.RealtimeNs();
            var tv = new Timespec { Sec = ns / NsPerSec, Nsec = ns % NsPerSec / 1000 };
            if (t.WriteStruct(a.A0, tv) < 0) return -Errno.EFAULT;
        }
        if (a.A1 != 0 && t.WriteStruct(a.A1, 0L) < 0) return -Errno.EFAULT;
        return 0;
    }

    public static long Time(Task t, in SyscallArguments a)
    {
        long sec = MonotonicClock.RealtimeNs() / NsPerSec;
        if (a.A0 != 0 && t.WriteStruct(a.A0, sec) < 0) return -Errno.EFAULT;
        return sec;
    }

    public static long Nanosleep(Task t, in SyscallArguments a)
    {
        int r = SysTimers.ReadTimespec(t, a.A0, out long req);
        if (r < 0) return r;
        long now = MonotonicClock.NowNs();
        long deadline = req >= long.MaxValue - now ? long.MaxValue : now + req;
        return SleepUntil(t, deadline, a.A1);
    }

    public const int TIMER_ABSTIME = 1;

    public static long ClockNanosleep(Task t, in SyscallArguments a)
    {
        int clock = a.Int(0), flags = a.Int(1);
        // Which clocks can be slept on (Linux's k_clock nsleep): not the thread CPU clock, not the
        // raw or coarse ones.
        if (clock == GuestClock.THREAD_CPUTIME_ID || (clock < 0 && (clock & 4) != 0)) return -Errno.EINVAL;
        if (clock is GuestClock.MONOTONIC_RAW or GuestClock.REALTIME_COARSE or GuestClock.MONOTONIC_COARSE) return -Errno.EOPNOTSUPP;
        if (ReadClock(t, clock) < 0) return -Errno.EINVAL;
        if (clock is GuestClock.REALTIME_ALARM or GuestClock.BOOTTIME_ALARM && !Capabilities.Has(t, Capabilities.WAKE_ALARM))
            return -Errno.EPERM;
        int r = SysTimers.ReadTimespec(t, a.A2, out long req);
        if (r < 0) return r;
        bool abs = (flags & TIMER_ABSTIME) != 0;
        if (!GuestClock.IsWall(clock)) return CpuSleep(t, clock, abs, req, abs ? 0 : a.A3);
        long now = MonotonicClock.NowNs();
        long rel = abs ? req - GuestClock.ReadWall(clock) : req;
        long deadline = rel <= 0 ? now : rel >= long.MaxValue - now ? long.MaxValue : now + rel;
        if (abs)
        {
            // Absolute sleeps restart transparently unless a handler runs (ERESTARTNOHAND).
            while (true)
            {
                int b = t.BlockUntil(deadline);
                if (b == -Errno.ETIMEDOUT) return 0;
                if (b < 0) return -Errno.ERESTARTNOHAND;
            }
        }
        return SleepUntil(t, deadline, a.A3);
    }

    /// <summary>clock_nanosleep on a process CPU clock: wakes every CPU tick to look at the clock.</summary>
    private static long CpuSleep(Task t, int clock, bool abs, long req, ulong remainAddr)
    {
        long start = GuestClock.ReadCpu(t, clock);
        return CpuSleepTo(t, clock, abs ? req : start + req, abs, remainAddr);
    }

    /// <summary>
    /// Sleeps until the CPU clock reads target. Interrupted: an absolute sleep restarts unless a
    /// handler runs (ERESTARTNOHAND); a relative one writes the time left and resumes through
    /// restart_syscall (posix_cpu_nsleep).
    /// </summary>
    private static long CpuSleepTo(Task t, int clock, long target, bool abs, ulong remainAddr)
    {
        while (true)
        {
            long now = GuestClock.ReadCpu(t, clock);
            if (now < 0 || now >= target) return 0;
            int b = t.Block(Math.Min(target - now, TimerService.CpuTickNs));
            if (b == -Errno.ETIMEDOUT || b == 0) continue;
            if (abs) return -Errno.ERESTARTNOHAND;
            if (remainAddr != 0 &&
                t.WriteStruct(remainAddr, SysTimers.ToTimespec(Math.Max(0, target - GuestClock.ReadCpu(t, clock)))) < 0)
                return -Errno.EFAULT;
            t.Restart = new RestartBlock { Kind = RestartKind.CpuSleep, Clock = clock, Deadline = target, Addr = remainAddr };
            return -Errno.ERESTART_RESTARTBLOCK;
        }
    }

    /// <summary>
    /// A relative sleep to a monotonic deadline. Interrupted: the time left goes to remainAddr and
    /// the syscall answers ERESTART_RESTARTBLOCK: EINTR if a handler runs, else restart_syscall
    /// sleeps on to the same deadline (hrtimer_nanosleep).
    /// </summary>
    private static long SleepUntil(Task t, long deadline, ulong remainAddr)
    {
        while (true)
        {
            int r = t.BlockUntil(deadline);
            if (r == -Errno.ETIMEDOUT) return 0;
            if (r < 0)
            {
                if (remainAddr != 0)
                {
                    long left = Math.Max(0, deadline - MonotonicClock.NowNs());
                    if (t.WriteStruct(remainAddr, SysTimers.ToTimespec(left)) < 0) return -Errno.EFAULT;
                }
                t.Restart = new RestartBlock { Kind = RestartKind.Sleep, Deadline = deadline, Addr = remainAddr };
                return -Errno.ERESTART_RESTARTBLOCK;
            }
        }
    }

    /// <summary>restart_syscall's continuation of an interrupted relative sleep.</summary>
    internal static long ResumeSleep(Task t, in RestartBlock rb) =>
        rb.Kind == RestartKind.CpuSleep
            ? CpuSleepTo(t, rb.Clock, rb.Deadline, abs: false, rb.Addr)
            : SleepUntil(t, rb.Deadline, rb.Addr);
}
