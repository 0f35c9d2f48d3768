using Csrunsc.Native;

namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// What queued a signal and wants to know when it is taken (a POSIX timer fills in si_overrun
/// then, as Linux's posixtimer_rearm does). Called with the pending set's lock held: it may take
/// only its own lock.
/// </summary>
public interface ISignalSource
{
    void OnQueued();
    void OnDequeued(ref SigInfo info);
}

/// <summary>
/// A set of pending signals with the siginfo of each. Standard signals (1-31) are pending at most
/// once; real-time signals (32-64) are queued, each instance with its own siginfo, up to
/// <see cref="MaxQueued"/> instances (sigqueue then fails with EAGAIN, as over RLIMIT_SIGPENDING).
/// </summary>
public sealed class PendingSignals
{
    public const int FirstRt = 32;
    public const int MaxQueued = 4096;

    private struct Entry
    {
        public SigInfo Info;
        public ISignalSource? Source;
    }

    private ulong _set;
    private readonly Entry[] _std = new Entry[FirstRt];
    private Queue<Entry>?[]? _rt;
    private int _rtCount;

    public static ulong Bit(int sig) => 1UL << (sig - 1);

    public ulong Set => Volatile.Read(ref _set);

    /// <summary>Queues the signal; false when it was not (a standard signal already pending, or the queue is full).</summary>
    public bool Add(in SigInfo info, ISignalSource? source = null)
    {
        int sig = info.Signo;
        lock (this)
        {
            if (sig < FirstRt)
            {
                if ((_set & Bit(sig)) != 0) return false;
                _std[sig] = new Entry { Info = info, Source = source };
            }
            else
            {
                // Signals the kernel generates for a timer have their own preallocated slot on Linux: never refused.
                if (_rtCount >= MaxQueued && source is null) return false;
                _rt ??= new Queue<Entry>?[SignalHandlers.MaxSignal + 1];
                (_rt[sig] ??= new Queue<Entry>()).Enqueue(new Entry { Info = info, Source = source });
                _rtCount++;
            }
            _set |= Bit(sig);
            source?.OnQueued();
            return true;
        }
    }

    /// <summary>Takes the lowest pending signal not in mask; false if none.</summary>
    public bool TryDequeue(ulong blockedMask, out SigInfo info)
    {
        lock (this)
        {
            ulong ready = _set & ~blockedMask;
            if (ready == 0)
            {
                info = default;
                return false;
            }
            // SIGKILL and SIGSTOP first, then the lowest number.
            int sig = (ready & Bit(Libc.SIGKILL)) != 0 ? Libc.SIGKILL : System.Numerics.BitOperations.TrailingZeroCount(ready) + 1;
            Entry e;
            if (sig < FirstRt)
            {
                e = _std[sig];
                _std[sig] = default;
                _set &= ~Bit(sig);
            }
            else
            {
                var q = _rt![sig]!;
                e = q.Dequeue();
                _rtCount--;
                if (q.Count == 0) _set &= ~Bit(sig);
            }
            info = e.Info;
            e.Source?.OnDequeued(ref info);
            return true;
        }
    }

    public void Remove(int sig)
    {
        lock (this)
        {
            RemoveLocked(sig);
            _set &= ~Bit(sig);
        }
    }

    public void RemoveMask(ulong mask)
    {
        lock (this) _set &= ~mask;
    }

    public void Clear()
    {
        lock (this)
        {
            for (int sig = 1; sig <= SignalHandlers.MaxSignal; sig++)
                if ((_set & Bit(sig)) != 0) RemoveLocked(sig);
            _set = 0;
        }
    }

    private void RemoveLocked(int sig)
    {
        if (sig >= FirstRt && _rt?[sig] is { } q)
        {
            _rtCount -= q.Count;
            q.Clear();
        }
        else if (sig < FirstRt)
        {
            _std[sig] = default;
        }
    }
}
