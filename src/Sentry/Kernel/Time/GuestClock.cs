using Csrunsc.Native;

namespace Csrunsc.Sentry.Kernel.Time;

/// <summary>
/// The clock ids a guest may name: the wall clocks (read from the host) and the CPU-time clocks
/// (CLOCK_PROCESS/THREAD_CPUTIME_ID and the pid-encoded ones, ~pid &lt;&lt; 3 | which | per-thread),
/// which read the Sentry's own accounting (<see cref="CpuClock"/>).
/// </summary>
public static class GuestClock
{
    public const int REALTIME = 0, MONOTONIC = 1, PROCESS_CPUTIME_ID = 2, THREAD_CPUTIME_ID = 3,
        MONOTONIC_RAW = 4, REALTIME_COARSE = 5, MONOTONIC_COARSE = 6, BOOTTIME = 7,
        REALTIME_ALARM = 8, BOOTTIME_ALARM = 9, TAI = 11;

    /// <summary>CPUCLOCK_PROF (user+system), CPUCLOCK_VIRT (user), CPUCLOCK_SCHED (runtime).</summary>
    public const int CpuProf = 0, CpuVirt = 1, CpuSched = 2;

    public static bool IsWall(int clock) => clock is >= 0 and <= 11 and not PROCESS_CPUTIME_ID and not THREAD_CPUTIME_ID and not 10;

    public static bool IsRealtime(int clock) => clock is REALTIME or REALTIME_COARSE or REALTIME_ALARM or TAI;

    /// <summary>Clocks a timer (timer_create, timerfd) can run on: not the raw/coarse read-only ones.</summary>
    public static bool IsTimerWall(int clock) => clock is REALTIME or MONOTONIC or BOOTTIME or REALTIME_ALARM or BOOTTIME_ALARM or TAI;

    /// <summary>A wall clock now, in ns. TAI is REALTIME (the kernel's TAI offset is 0 unless adjtimex sets it).</summary>
    public static long ReadWall(int clock) => clock switch
    {
        REALTIME_ALARM or TAI => MonotonicClock.RealtimeNs(),
        BOOTTIME_ALARM => MonotonicClock.Read(BOOTTIME),
        _ => MonotonicClock.Read(clock),
    };

    /// <summary>
    /// Resolves a CPU-time clock id for task t: the clock, or -EINVAL (unknown id, or a task that
    /// is not t's thread / not a process leader, as Linux's posix-cpu-timers lookup).
    /// </summary>
    public static int ResolveCpu(Task t, int clock, out CpuClock? cpu)
    {
        cpu = null;
        if (clock == PROCESS_CPUTIME_ID) clock = MakeProcess(0, CpuSched);
        else if (clock == THREAD_CPUTIME_ID) clock = MakeThread(0, CpuSched);
        if (clock >= 0) return -Errno.EINVAL;
        int which = clock & 3;
        if (which == 3) return -Errno.EINVAL;
        bool perThread = (clock & 4) != 0;
        int pid = ~(clock >> 3);
        if (perThread)
        {
            Task? target = pid == 0 ? t : t.Kernel.Pids.TaskById(pid);
            if (target is null || target.ThreadGroup != t.ThreadGroup) return -Errno.EINVAL;
            cpu = new CpuClock(target, null, which);
            return 0;
        }
        ThreadGroup? g = pid == 0 ? t.ThreadGroup : t.Kernel.Pids.GroupById(pid);
        if (g is null) return -Errno.EINVAL;
        cpu = new CpuClock(null, g, which);
        return 0;
    }

    /// <summary>Reads a CPU clock without allocating (clock_gettime is hot): ns, or -EINVAL.</summary>
    public static long ReadCpu(Task t, int clock)
    {
        if (clock == PROCESS_CPUTIME_ID) return t.ThreadGroup.CpuUserNs() + t.ThreadGroup.CpuSystemNs();
        if (clock == THREAD_CPUTIME_ID) return t.CpuUserNs() + t.CpuSystemNs();
        int r = ResolveCpu(t, clock, out var cpu);
        return r < 0 ? r : cpu!.Read();
    }

    public static int MakeProcess(int pid, int which) => (~pid << 3) | which;

    public static int MakeThread(int pid, int which) => (~pid << 3) | which | 4;
}

/// <summary>One CPU-time clock: a thread's or a thread group's user (VIRT) or user+system (PROF, SCHED) time.</summary>
public sealed class CpuClock(Task? thread, ThreadGroup? group, int which)
{
    public Task? Thread { get; } = thread;
    public ThreadGroup? Group { get; } = group;
    public int Which { get; } = which;

    public long Read()
    {
        if (Thread is { } t) return Which == GuestClock.CpuVirt ? t.CpuUserNs() : t.CpuUserNs() + t.CpuSystemNs();
        var g = Group!;
        return Which == GuestClock.CpuVirt ? g.CpuUserNs() : g.CpuUserNs() + g.CpuSystemNs();
    }
}
