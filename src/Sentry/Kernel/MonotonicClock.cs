using Csrunsc.Native;

namespace Csrunsc.Sentry.Kernel;

/// <summary>The host's clocks, read without allocation.</summary>
public static unsafe class MonotonicClock
{
    public const int CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_PROCESS_CPUTIME_ID = 2,
        CLOCK_THREAD_CPUTIME_ID = 3, CLOCK_MONOTONIC_RAW = 4, CLOCK_REALTIME_COARSE = 5,
        CLOCK_MONOTONIC_COARSE = 6, CLOCK_BOOTTIME = 7;

    public static long NowNs() => Read(CLOCK_MONOTONIC);

    public static long RealtimeNs() => Read(CLOCK_REALTIME);

    public static long Read(int clock)
    {
        Timespec ts;
        Libc.ClockGetTime(clock, &ts);
        return ts.Sec * 1_000_000_000L + ts.Nsec;
    }

    public static Timespec Now()
    {
        Timespec ts;
        Libc.ClockGetTime(CLOCK_REALTIME, &ts);
        return ts;
    }
}
