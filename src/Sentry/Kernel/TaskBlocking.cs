using Csrunsc.Native;

namespace Csrunsc.Sentry.Kernel;

/// <summary>How a task sleeps in the Sentry and how other threads wake or interrupt it.</summary>
public sealed partial class Task : IWaiter
{
    private readonly object _sleepLock = new();
    private bool _woken;
    private volatile bool _interrupted;

    /// <summary>While the task waits in the host for a host fd (<see cref="BlockOnHostFd"/>): the eventfd that wakes it.</summary>
    private int _hostWakeFd = -1;
    private bool _inHostWait;

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
            if (_inHostWait) SignalHostWake();
            else Monitor.Pulse(_sleepLock);
        }
    }

    private unsafe void SignalHostWake()
    {
        ulong one = 1;
        Libc.Write(_hostWakeFd, (byte*)&one, 8);
    }

    /// <summary>
    /// Sleeps like <see cref="BlockUntil"/>, but in the host, on one host fd itself: returns 0 as soon
    /// as the fd has one of the events (or hangs up), or when woken; -ETIMEDOUT at the deadline,
    /// -ERESTARTSYS when interrupted. A blocking read, write, accept or connect on a host socket
    /// or pipe waits here: the host wakes this thread directly, with no hop through the poller.
    /// </summary>
    public unsafe int BlockOnHostFd(int fd, short events, long deadlineNs)
    {
        lock (_sleepLock)
        {
            if (_woken)
            {
                _woken = false;
                return 0;
            }
            if (_interrupted || Exiting) return -Errno.ERESTARTSYS;
            if (_hostWakeFd < 0)
            {
                _hostWakeFd = Libc.EventFd(0, Libc.O_NONBLOCK | Libc.O_CLOEXEC);
                if (_hostWakeFd < 0) return BlockUntilLocked(Math.Min(deadlineNs, MonotonicClock.NowNs() + 20_000_000));
            }
            _inHostWait = true;
        }
        PollFd* pfd = stackalloc PollFd[2];
        pfd[0] = new PollFd { Fd = fd, Events = events };
        pfd[1] = new PollFd { Fd = _hostWakeFd, Events = Libc.POLLIN };
        int r;
        if (deadlineNs == long.MaxValue)
        {
            r = Libc.PPoll(pfd, 2, null, null);
        }
        else
        {
            long left = Math.Max(0, deadlineNs - MonotonicClock.NowNs());
            var ts = new Timespec { Sec = left / 1_000_000_000, Nsec = left % 1_000_000_000 };
            r = Libc.PPoll(pfd, 2, &ts, null);
        }
        lock (_sleepLock)
        {
            _inHostWait = false;
            if (pfd[1].REvents != 0)
            {
                ulong v;
                Libc.Read(_hostWakeFd, (byte*)&v, 8);
            }
            if (_woken)
            {
                _woken = false;
                return 0;
            }
            if (_interrupted || Exiting) return -Errno.ERESTARTSYS;
        }
        if (r == 0 && deadlineNs != long.MaxValue && MonotonicClock.NowNs() >= deadlineNs) return -Errno.ETIMEDOUT;
        return 0;
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
        lock (_sleepLock) return BlockUntilLocked(deadlineNs);
    }

    private int BlockUntilLocked(long deadlineNs)
    {
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

    /// <summary>At the end of the task's thread: the host wake-up eventfd goes (Wake never writes it outside a host wait).</summary>
    private void ReleaseHostWake()
    {
        lock (_sleepLock)
        {
            if (_hostWakeFd >= 0) Libc.Close(_hostWakeFd);
            _hostWakeFd = -1;
        }
    }

    /// <summary>
    /// recalc_sigpending after the mask was replaced for a wait (sigsuspend, ppoll, pselect6,
    /// epoll_pwait): a signal already pending that the new mask unblocks interrupts the wait at
    /// once, although it arrived while it was blocked (no Interrupt() was raised for it then).
    /// </summary>
    public void RecalcPendingSignals()
    {
        if (((Pending.Set | ThreadGroup.SharedPending.Set) & ~SignalMask) != 0) _interrupted = true;
    }

    /// <summary>Clears the interrupted flag once the pending signals have been looked at.</summary>
    private void ClearInterrupt() => _interrupted = false;
}
