using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Timerfd;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Kernel.Time;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Time;

/// <summary>timerfd_create, timerfd_settime, timerfd_gettime.</summary>
internal static class SysTimerFd
{
    public static long Create(Task t, in SyscallArguments a)
    {
        int clock = a.Int(0), flags = a.Int(1);
        if ((flags & ~(Libc.O_CLOEXEC | Libc.O_NONBLOCK)) != 0) return -Errno.EINVAL;
        if (clock is not (GuestClock.REALTIME or GuestClock.MONOTONIC or GuestClock.BOOTTIME
                or GuestClock.REALTIME_ALARM or GuestClock.BOOTTIME_ALARM))
            return -Errno.EINVAL;
        if (clock is GuestClock.REALTIME_ALARM or GuestClock.BOOTTIME_ALARM && !Capabilities.Has(t, Capabilities.WAKE_ALARM))
            return -Errno.EPERM;
        var file = new TimerFdFile(t.Kernel.Timers, clock, flags);
        int fd = t.Fds.Add(file, (flags & Libc.O_CLOEXEC) != 0);
        if (fd < 0) file.DecRef();
        return fd;
    }

    public static long Settime(Task t, in SyscallArguments a)
    {
        int flags = a.Int(1);
        if ((flags & ~(TimerFdFile.TFD_TIMER_ABSTIME | TimerFdFile.TFD_TIMER_CANCEL_ON_SET)) != 0) return -Errno.EINVAL;
        int r = SysTimers.ReadITimerSpec(t, a.A2, out long interval, out long value);
        if (r < 0) return r;
        var f = t.Fds.GetRef(a.Int(0));
        if (f is null) return -Errno.EBADF;
        try
        {
            if (f is not TimerFdFile tf) return -Errno.EINVAL;
            tf.Set(flags, value, interval, out long oldLeft, out long oldInterval);
            return a.A3 != 0 ? SysTimers.WriteITimerSpec(t, a.A3, oldInterval, oldLeft) : 0;
        }
        finally
        {
            f.DecRef();
        }
    }

    public static long Gettime(Task t, in SyscallArguments a)
    {
        var f = t.Fds.GetRef(a.Int(0));
        if (f is null) return -Errno.EBADF;
        try
        {
            if (f is not TimerFdFile tf) return -Errno.EINVAL;
            tf.Get(out long left, out long interval);
            return SysTimers.WriteITimerSpec(t, a.A1, interval, left);
        }
        finally
        {
            f.DecRef();
        }
    }
}
