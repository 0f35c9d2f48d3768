using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Time;

/// <summary>Clocks and sleeps. There is no vDSO, so these are hot for some programs: no allocation.</summary>
internal static class SysTime
{
    private static bool ValidClock(int clock) => clock is >= 0 and <= 11 and not 8 and not 9 and not 10;

    private static long ReadClock(Task t, int clock) => clock switch
    {
        MonotonicClock.CLOCK_PROCESS_CPUTIME_ID or MonotonicClock.CLOCK_THREAD_CPUTIME_ID =>
            MonotonicClock.NowNs() - t.ThreadGroup.StartTimeNs,
        11 /*CLOCK_TAI*/ => MonotonicClock.RealtimeNs(),
        _ => MonotonicClock.Read(clock),
    };

    public static long ClockGettime(Task t, in SyscallArguments a)
    {
        int clock = a.Int(0);
        if (!ValidClock(clock)) return -Errno.EINVAL;
        long ns = ReadClock(t, clock);
        var ts = new Timespec { Sec = ns / 1_000_000_000, Nsec = ns % 1_000_000_000 };
        return t.WriteStruct(a.A1, ts) < 0 ? -Errno.EFAULT : 0;
    }

    public static long ClockGetres(Task t, in SyscallArguments a)
    {
        if (!ValidClock(a.Int(0))) return -Errno.EINVAL;
        if (a.A1 == 0) return 0;
        return t.WriteStruct(a.A1, new Timespec { Sec = 0, Nsec = 1 }) < 0 ? -Errno.EFAULT : 0;
    }

    public static long Gettimeofday(Task t, in SyscallArguments a)
    {
        if (a.A0 != 0)
        {
            long ns = MonotonicClock.RealtimeNs();
            var tv = new Timespec { Sec = ns / 1_000_000_000, Nsec = ns % 1_000_000_000 / 1000 };
            if (t.WriteStruct(a.A0, tv) < 0) return -Errno.EFAULT;
        }
        if (a.A1 != 0 && t.WriteStruct(a.A1, 0L) < 0) return -Errno.EFAULT;
        return 0;
    }

    public static long Time(Task t, in SyscallArguments a)
    {
        long sec = MonotonicClock.RealtimeNs() / 1_000_000_000;
        if (a.A0 != 0 && t.WriteStruct(a.A0, sec) < 0) return -Errno.EFAULT;
        return sec;
    }

    public static long Nanosleep(Task t, in SyscallArguments a)
    {
        if (t.ReadStruct(a.A0, out Timespec ts) < 0) return -Errno.EFAULT;
        if (ts.Sec < 0 || ts.Nsec < 0 || ts.Nsec >= 1_000_000_000) return -Errno.EINVAL;
        long deadline = MonotonicClock.NowNs() + ts.Sec * 1_000_000_000 + ts.Nsec;
        return SleepUntil(t, deadline, a.A1);
    }

    public static long ClockNanosleep(Task t, in SyscallArguments a)
    {
        int clock = a.Int(0), flags = a.Int(1);
        if (!ValidClock(clock)) return -Errno.EINVAL;
        if (t.ReadStruct(a.A2, out Timespec ts) < 0) return -Errno.EFAULT;
        if (ts.Sec < 0 || ts.Nsec < 0 || ts.Nsec >= 1_000_000_000) return -Errno.EINVAL;
        long req = ts.Sec * 1_000_000_000 + ts.Nsec;
        long now = MonotonicClock.NowNs();
        long deadline = (flags & 1 /*TIMER_ABSTIME*/) != 0 ? now + (req - ReadClock(t, clock)) : now + req;
        return SleepUntil(t, deadline, (flags & 1) != 0 ? 0 : a.A3);
    }

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
                    t.WriteStruct(remainAddr, new Timespec { Sec = left / 1_000_000_000, Nsec = left % 1_000_000_000 });
                }
                return -Errno.EINTR;
            }
        }
    }
}
