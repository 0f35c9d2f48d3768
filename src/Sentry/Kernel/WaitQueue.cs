namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// Something a <see cref="WaitQueue"/> notifies: a sleeping task, an epoll registration, a pty
/// bridge. Called with the queue's lock held, so it must not block or subscribe to queues itself.
/// Returns whether it took the wake-up (an exclusive waiter that did not is skipped for the next).
/// </summary>
public interface IWaiter
{
    bool OnNotify(uint events);
}

/// <summary>Readiness event bits as Linux numbers them (POLL* = EPOLL*).</summary>
public static class PollEvents
{
    public const uint In = 0x1, Pri = 0x2, Out = 0x4, Err = 0x8, Hup = 0x10, Nval = 0x20,
        RdNorm = 0x40, RdBand = 0x80, WrNorm = 0x100, WrBand = 0x200, Msg = 0x400, RdHup = 0x2000;

    /// <summary>A change that may concern anyone (state of the ends, shutdown, release).</summary>
    public const uint All = 0xFFFF_FFFF;

    public const uint Readable = In | RdNorm;
    public const uint Writable = Out | WrNorm;
}

/// <summary>
/// Tasks and callbacks waiting for an object's state to change (pipe data, child exit, futex, ...).
/// Pattern: Subscribe, check the condition, <see cref="Task.Block"/>, re-check, Unsubscribe.
/// Subscribing before checking means a Notify between the check and the sleep is not lost.
/// Each entry has an event mask: <see cref="Notify(uint)"/> reaches only the entries whose mask
/// intersects the events (as Linux's keyed wake-ups), which is what makes EPOLLET edges exact.
/// Exclusive entries (EPOLLEXCLUSIVE) are woken one per notification.
/// </summary>
public sealed class WaitQueue
{
    private struct Entry
    {
        public IWaiter Waiter;
        public uint Mask;
        public bool Exclusive;
    }

    private readonly object _lock = new();
    private Entry[] _entries = new Entry[4];
    private int _count;

    public void Subscribe(IWaiter waiter, uint mask = PollEvents.All, bool exclusive = false)
    {
        lock (_lock)
        {
            if (_count == _entries.Length) Array.Resize(ref _entries, _count * 2);
            _entries[_count++] = new Entry { Waiter = waiter, Mask = mask, Exclusive = exclusive };
        }
    }

    /// <summary>Removes one subscription of the waiter (the most recent if it subscribed twice).</summary>
    public void Unsubscribe(IWaiter waiter)
    {
        lock (_lock)
        {
            for (int i = _count - 1; i >= 0; i--)
            {
                if (!ReferenceEquals(_entries[i].Waiter, waiter)) continue;
                // Keep the order (exclusive waiters are woken first come, first served).
                Array.Copy(_entries, i + 1, _entries, i, _count - i - 1);
                _entries[--_count] = default;
                return;
            }
        }
    }

    /// <summary>Wakes every subscribed waiter; each re-checks its own condition.</summary>
    public void Notify() => Notify(PollEvents.All);

    /// <summary>Wakes the waiters interested in events: every non-exclusive one and the first exclusive one that takes it.</summary>
    public void Notify(uint events)
    {
        lock (_lock)
        {
            bool exclusiveDone = false;
            for (int i = 0; i < _count; i++)
            {
                ref Entry e = ref _entries[i];
                if ((e.Mask & events) == 0) continue;
                if (e.Exclusive)
                {
                    if (exclusiveDone) continue;
                    exclusiveDone = e.Waiter.OnNotify(events);
                }
                else
                {
                    e.Waiter.OnNotify(events);
                }
            }
        }
    }

    public bool HasWaiters
    {
        get { lock (_lock) return _count > 0; }
    }
}
