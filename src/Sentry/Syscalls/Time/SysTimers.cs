using System.Runtime.InteropServices;
using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Kernel.Time;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Time;

/// <summary>alarm, getitimer/setitimer, timer_create/settime/gettime/getoverrun/delete.</summary>
internal static class SysTimers
{
    private const long NsPerSec = 1_000_000_000;

    /// <summary>A guest timespec as ns: -EFAULT, -EINVAL (negative, nsec out of range), or 0.</summary>
    internal static int ReadTimespec(Task t, ulong addr, out long ns)
    {
        ns = 0;
        if (t.ReadStruct(addr, out Timespec ts) < 0) return -Errno.EFAULT;
        if (ts.Sec < 0 || ts.Nsec < 0 || ts.Nsec >= NsPerSec) return -Errno.EINVAL;
        ns = ts.Sec > long.MaxValue / NsPerSec - 1 ? long.MaxValue : ts.Sec * NsPerSec + ts.Nsec;
        return 0;
    }

    internal static Timespec ToTimespec(long ns) => new() { Sec = ns / NsPerSec, Nsec = ns % NsPerSec };

    /// <summary>struct itimerspec {interval; value} in guest memory as ns.</summary>
    internal static int ReadITimerSpec(Task t, ulong addr, out long intervalNs, out long valueNs)
    {
        valueNs = 0;
        int r = ReadTimespec(t, addr, out intervalNs);
        if (r == -Errno.EFAULT) return r;
        int r2 = ReadTimespec(t, addr + 16, out valueNs);
        return r2 == -Errno.EFAULT ? r2 : r < 0 ? r : r2;
    }

    internal static int WriteITimerSpec(Task t, ulong addr, long intervalNs, long valueNs) =>
        t.WriteStruct(addr, new ITimerSpec { Interval = ToTimespec(intervalNs), Value = ToTimespec(valueNs) }) < 0 ? -Errno.EFAULT : 0;

    // ---- alarm, itimers ----

    public static long Alarm(Task t, in SyscallArguments a)
    {
        long seconds = (uint)a.A0;
        t.ThreadGroup.ITimers.Set(IntervalTimers.ITIMER_REAL, seconds * NsPerSec, 0, out long left, out _);
        // Never 0 while one was pending; round to the nearest second (Linux's alarm_setitimer).
        long sec = left / NsPerSec, nsec = left % NsPerSec;
        if ((sec == 0 && nsec != 0) || nsec >= NsPerSec / 2) sec++;
        return sec;
    }

    /// <summary>struct itimerval {interval; value} of timevals as ns; -EINVAL for tv_usec out of [0, 1e6) or negative seconds.</summary>
    private static int ReadITimerVal(Task t, ulong addr, out long intervalNs, out long valueNs)
    {
        intervalNs = valueNs = 0;
        Span<long> v = stackalloc long[4];
        if (t.CopyIn(addr, MemoryMarshal.AsBytes(v)) < 0) return -Errno.EFAULT;
        for (int i = 0; i < 4; i += 2)
            if (v[i] < 0 || v[i + 1] < 0 || v[i + 1] >= 1_000_000) return -Errno.EINVAL;
        intervalNs = v[0] > long.MaxValue / NsPerSec - 1 ? long.MaxValue : v[0] * NsPerSec + v[1] * 1000;
        valueNs = v[2] > long.MaxValue / NsPerSec - 1 ? long.MaxValue : v[2] * NsPerSec + v[3] * 1000;
        return 0;
    }

    private static int WriteITimerVal(Task t, ulong addr, long intervalNs, long leftNs)
    {
        // An armed timer never reads as 0: at least 1 µs left (itimer_get_remtime).
        if (leftNs > 0 && leftNs < 1000) leftNs = 1000;
        Span<long> v = [intervalNs / NsPerSec, intervalNs % NsPerSec / 1000, leftNs / NsPerSec, leftNs % NsPerSec / 1000];
        return t.CopyOut(addr, MemoryMarshal.AsBytes(v)) < 0 ? -Errno.EFAULT : 0;
    }

    public static long Getitimer(Task t, in SyscallArguments a)
    {
        int r = t.ThreadGroup.ITimers.Get(a.Int(0), out long left, out long interval);
        if (r < 0) return r;
        return WriteITimerVal(t, a.A1, interval, left);
    }

    public static long Setitimer(Task t, in SyscallArguments a)
    {
        int which = a.Int(0);
        long interval = 0, value = 0;
        // A NULL new value disarms (the misfeature Linux still supports).
        if (a.A1 != 0)
        {
            int r = ReadITimerVal(t, a.A1, out interval, out value);
            if (r < 0) return r;
        }
        int s = t.ThreadGroup.ITimers.Set(which, value, interval, out long oldLeft, out long oldInterval);
        if (s < 0) return s;
        return a.A2 != 0 ? WriteITimerVal(t, a.A2, oldInterval, oldLeft) : 0;
    }

    // ---- POSIX timers ----

    public static long TimerCreate(Task t, in SyscallArguments a)
    {
        int clock = a.Int(0);
        CpuClock? cpu = null;
        if (clock < 0 || clock is GuestClock.PROCESS_CPUTIME_ID or GuestClock.THREAD_CPUTIME_ID)
        {
            int r = GuestClock.ResolveCpu(t, clock, out cpu);
            if (r < 0) return r;
        }
        else if (!GuestClock.IsWall(clock))
        {
            return -Errno.EINVAL;
        }
        else if (!GuestClock.IsTimerWall(clock))
        {
            return -Errno.EOPNOTSUPP; // MONOTONIC_RAW and the coarse clocks have no timers
        }
        if (clock is GuestClock.REALTIME_ALARM or GuestClock.BOOTTIME_ALARM && !Capabilities.Has(t, Capabilities.WAKE_ALARM))
            return -Errno.EPERM;

        int notify = PosixTimer.SIGEV_SIGNAL, signo = Libc.SIGALRM;
        ulong? value = null;
        Task? target = null;
        if (a.A1 != 0)
        {
            // struct sigevent: sigev_value (8), sigev_signo, sigev_notify, then _tid.
            Span<byte> ev = stackalloc byte[20];
            if (t.CopyIn(a.A1, ev) < 0) return -Errno.EFAULT;
            value = MemoryMarshal.Read<ulong>(ev);
            signo = MemoryMarshal.Read<int>(ev[8..]);
            notify = MemoryMarshal.Read<int>(ev[12..]);
            int tid = MemoryMarshal.Read<int>(ev[16..]);
            switch (notify)
            {
                case PosixTimer.SIGEV_THREAD_ID:
                    target = t.Kernel.Pids.TaskById(tid);
                    if (target is null || target.ThreadGroup != t.ThreadGroup) return -Errno.EINVAL;
                    goto case PosixTimer.SIGEV_SIGNAL;
                case PosixTimer.SIGEV_SIGNAL:
                case PosixTimer.SIGEV_THREAD:
                    if (signo <= 0 || signo > SignalHandlers.MaxSignal) return -Errno.EINVAL;
                    break;
                case PosixTimer.SIGEV_NONE:
                    break;
                default:
                    return -Errno.EINVAL;
            }
        }
        // Check the id's address before the timer exists (Linux writes it first too).
        if (t.WriteStruct(a.A2, 0) < 0) return -Errno.EFAULT;
        int c = t.ThreadGroup.PosixTimers.Create(clock, cpu, notify, signo, value, target, out int id);
        if (c < 0) return c;
        if (t.WriteStruct(a.A2, id) < 0)
        {
            t.ThreadGroup.PosixTimers.Delete(id);
            return -Errno.EFAULT;
        }
        return 0;
    }

    public static long TimerSettime(Task t, in SyscallArguments a)
    {
        var timer = t.ThreadGroup.PosixTimers.Get(a.Int(0));
        if (timer is null) return -Errno.EINVAL;
        if (a.A2 == 0) return -Errno.EINVAL;
        int r = ReadITimerSpec(t, a.A2, out long interval, out long value);
        if (r < 0) return r;
        timer.Set((a.Int(1) & 1 /*TIMER_ABSTIME*/) != 0, value, interval, out long oldLeft, out long oldInterval);
        return a.A3 != 0 ? WriteITimerSpec(t, a.A3, oldInterval, oldLeft) : 0;
    }

    public static long TimerGettime(Task t, in SyscallArguments a)
    {
        var timer = t.ThreadGroup.PosixTimers.Get(a.Int(0));
        if (timer is null) return -Errno.EINVAL;
        timer.Get(out long left, out long interval);
        return WriteITimerSpec(t, a.A1, interval, left);
    }

    public static long TimerGetoverrun(Task t, in SyscallArguments a)
    {
        var timer = t.ThreadGroup.PosixTimers.Get(a.Int(0));
        return timer is null ? -Errno.EINVAL : timer.Overrun;
    }

    public static long TimerDelete(Task t, in SyscallArguments a) => t.ThreadGroup.PosixTimers.Delete(a.Int(0));
}
