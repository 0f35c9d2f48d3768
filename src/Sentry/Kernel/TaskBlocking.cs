using Csrunsc.Native;

namespace Csrunsc.Sentry.Kernel;

/// <summary>How a task sleeps in the Sentry and how other threads wake or interrupt it.</summary>
public sealed partial class Task : IWaiter
{
    private readonly object _sleepLock = new();
    private bool _woken;
    private volatile bool _interrupted;

    bool IWaiter.OnNotify(uint events)
    {
        Wake();
        return true;
    }

    /// <summary>Wakes the task if it sleeps in <see cref="Block"/> (or makes its next Block return at once).</summary>
    public void Wake()
    {
        lock (_sleepLock)
        {
            _woken = true;
            Monitor.Pulse(_sleepLock);
        }
    }

    /// <summary>
    /// Sleeps until woken, until timeoutNs passes (negative = forever) or until a signal or kill
    /// interrupts. Returns 0 when woken, -ETIMEDOUT, or -ERESTARTSYS when interrupted (the syscall
    /// layer turns that into EINTR or a restart as Linux does).
    /// </summary>
    public int Block(long timeoutNs = -1)
    {
        long deadline = timeoutNs < 0 ? long.MaxValue : MonotonicClock.NowNs() + timeoutNs;
        return BlockUntil(deadline);
    }

    /// <summary>Like <see cref="Block"/> with an absolute CLOCK_MONOTONIC deadline in ns (long.MaxValue = none).</summary>
    public int BlockUntil(long deadlineNs)
    {
        lock (_sleepLock)
        {
            while (true)
            {
                if (_woken)
                {
                    _woken = false;
                    return 0;
                }
                if (_interrupted || Exiting) return -Errno.ERESTARTSYS;
                if (deadlineNs == long.MaxValue)
                {
                    Monitor.Wait(_sleepLock);
                    continue;
                }
                long left = deadlineNs - MonotonicClock.NowNs();
                if (left <= 0) return -Errno.ETIMEDOUT;
                long ms = Math.Min((left + 999_999) / 1_000_000, int.MaxValue);
                Monitor.Wait(_sleepLock, (int)ms);
            }
        }
    }

    /// <summary>True while a signal is deliverable or the task must exit: blocking calls give up.</summary>
    public bool Interrupted => _interrupted || Exiting;

    /// <summary>Marks the task interrupted (a signal arrived or it is killed) and kicks it out of any wait.</summary>
    public void Interrupt()
    {
        _interrupted = true;
        Wake();
        Context?.Interrupt();
    }

    /// <summary>Clears the interrupted flag once the pending signals have been looked at.</summary>
    private void ClearInterrupt() => _interrupted = false;
}
