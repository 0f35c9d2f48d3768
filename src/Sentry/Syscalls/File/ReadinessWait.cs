using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>
/// The sleeping half of poll/select: hold a reference on each polled file, subscribe to its
/// readiness queue, sleep until a notify, the deadline or a signal, re-scan; plus the timeout and
/// temporary signal-mask conventions of ppoll/pselect6.
/// </summary>
internal static class ReadinessWait
{
    private static readonly ulong Unblockable = Task.Bit(Libc.SIGKILL) | Task.Bit(Libc.SIGSTOP);

    /// <summary>Subscribes the task to every held file's readiness queue.</summary>
    public static void Subscribe(Task t, FileDescription?[] held)
    {
        foreach (var f in held) f?.ReadinessQueue?.Subscribe(t);
    }

    /// <summary>Undoes <see cref="Subscribe"/> and drops the references.</summary>
    public static void Release(Task t, FileDescription?[] held)
    {
        foreach (var f in held)
        {
            if (f is null) continue;
            f.ReadinessQueue?.Unsubscribe(t);
            f.DecRef();
        }
    }

    /// <summary>
    /// Sleeps once: 0 when woken (re-scan), -ETIMEDOUT at the deadline, -ERESTARTNOHAND when a
    /// signal is deliverable (poll and select are never restarted after a handler, as in Linux).
    /// </summary>
    public static int Sleep(Task t, long deadlineNs)
    {
        if (SignalDeliverable(t)) return -Errno.ERESTARTNOHAND;
        int r = t.BlockUntil(deadlineNs);
        return r == -Errno.ERESTARTSYS ? -Errno.ERESTARTNOHAND : r;
    }

    /// <summary>Like <see cref="Sleep"/>, waiting in the host until hostFd is readable (a host epoll of host-backed files).</summary>
    public static int SleepOnHostFd(Task t, int hostFd, long deadlineNs)
    {
        if (SignalDeliverable(t)) return -Errno.ERESTARTNOHAND;
        int r = t.BlockOnHostFd(hostFd, Libc.POLLIN, deadlineNs);
        return r == -Errno.ERESTARTSYS ? -Errno.ERESTARTNOHAND : r;
    }

    /// <summary>A pending signal that the current mask lets through (the mask may just have changed in ppoll).</summary>
    public static bool SignalDeliverable(Task t) =>
        t.Interrupted || ((t.Pending.Set | t.ThreadGroup.SharedPending.Set) & ~t.SignalMask) != 0;

    /// <summary>Deadline for a relative timespec; long.MaxValue for none (addr 0). -EINVAL for a bad one.</summary>
    public static int DeadlineFromTimespec(Task t, ulong addr, out long deadlineNs, out Timespec ts)
    {
        deadlineNs = long.MaxValue;
        ts = default;
        if (addr == 0) return 0;
        int r = t.ReadStruct(addr, out ts);
        if (r < 0) return r;
        if (ts.Sec < 0 || ts.Nsec < 0 || ts.Nsec >= 1_000_000_000) return -Errno.EINVAL;
        deadlineNs = Deadline(ts.Sec, ts.Nsec);
        return 0;
    }

    public static long Deadline(long sec, long nsec)
    {
        long now = MonotonicClock.NowNs();
        if (sec >= (long.MaxValue - now) / 1_000_000_000 - 1) return long.MaxValue;
        return now + sec * 1_000_000_000 + nsec;
    }

    /// <summary>Time left until the deadline (never negative).</summary>
    public static long RemainingNs(long deadlineNs)
    {
        if (deadlineNs == long.MaxValue) return long.MaxValue;
        return Math.Max(0, deadlineNs - MonotonicClock.NowNs());
    }

    /// <summary>ppoll/pselect6: installs the temporary signal mask (8-byte sigset only). Returns 0, -EINVAL or -EFAULT.</summary>
    public static int SetTemporaryMask(Task t, ulong maskAddr, ulong size, out ulong oldMask, out bool changed)
    {
        oldMask = t.SignalMask;
        changed = false;
        if (maskAddr == 0) return 0;
        if (size != 8) return -Errno.EINVAL;
        int r = t.ReadStruct(maskAddr, out ulong mask);
        if (r < 0) return r;
        t.SignalMask = mask & ~Unblockable;
        t.RecalcPendingSignals();
        changed = true;
        return 0;
    }

    /// <summary>Restores the mask now, or after the handler runs when the call was interrupted by a signal.</summary>
    public static void RestoreMask(Task t, ulong oldMask, bool changed, long result)
    {
        if (!changed) return;
        if (result == -Errno.ERESTARTNOHAND || result == -Errno.EINTR) t.SavedSignalMask = oldMask;
        else t.SignalMask = oldMask;
    }
}
