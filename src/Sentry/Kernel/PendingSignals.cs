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
/// once; real-time signals (32-64) are queued, each instance with its own siginfo. Every entry is
/// charged to its receiver's <see cref="SigpendingCount"/> against RLIMIT_SIGPENDING, as Linux's
/// __send_signal_locked: over the limit a real-time signal with a code other than SI_USER fails
/// (EAGAIN; sigqueue, tgsigqueueinfo, tkill), one sent by kill() — and a standard signal with a
/// negative code — is still delivered without its siginfo (SI_USER, pid and uid 0); standard
/// signals with a kernel or SI_USER code override the limit. Timer signals (a source) are never refused.
/// </summary>
public sealed class PendingSignals
{
    public const int FirstRt = 32;

    /// <summary>What <see cref="Add"/> did.</summary>
    public enum AddResult { Queued, AlreadyPending, Overflow }

    private struct Entry
    {
        public SigInfo Info;
        public ISignalSource? Source;
        public SigpendingCount? Charged;
    }

    /// <summary>Real-time signals pending without any queued entry (their siginfo was lost over the limit).</summary>
    private ulong _rtLost;

    private ulong _set;
    private readonly Entry[] _std = new Entry[FirstRt];
    private Queue<Entry>?[]? _rt;
    private int _rtCount;

    public static ulong Bit(int sig) => 1UL << (sig - 1);

    public ulong Set => Volatile.Read(ref _set);

    /// <summary>Queues the signal without charging any count (signals the Sentry raises internally).</summary>
    public bool Add(in SigInfo info, ISignalSource? source = null) => Add(in info, source, null, 0) == AddResult.Queued;

    /// <summary>Queues the signal, charged to user against limit (RLIMIT_SIGPENDING); see the class summary.</summary>
    public AddResult Add(in SigInfo info, ISignalSource? source, SigpendingCount? user, ulong limit)
    {
        int sig = info.Signo;
        lock (this)
        {
            if (sig < FirstRt && (_set & Bit(sig)) != 0) return AddResult.AlreadyPending;
            // Signals the kernel generates for a timer have their own preallocated slot on Linux: never refused.
            bool charged = false;
            if (user is not null && source is null)
            {
                bool overrideLimit = sig < FirstRt && info.Code >= 0;
                charged = user.TryCharge(limit, overrideLimit);
                if (!charged && sig >= FirstRt && info.Code != 0 /* SI_USER */) return AddResult.Overflow;
            }
            var entry = new Entry { Info = info, Source = source, Charged = charged ? user : null };
            if (user is not null && source is null && !charged)
            {
                // Over the limit: the signal is delivered, its siginfo is not (SI_USER, no sender).
                if (sig >= FirstRt)
                {
                    _rtLost |= Bit(sig);
                    _set |= Bit(sig);
                    return AddResult.Queued;
                }
                entry.Info = LostInfo(sig);
            }
            if (sig < FirstRt)
            {
                _std[sig] = entry;
            }
            else
            {
                _rt ??= new Queue<Entry>?[SignalHandlers.MaxSignal + 1];
                (_rt[sig] ??= new Queue<Entry>()).Enqueue(entry);
                _rtCount++;
            }
            _set |= Bit(sig);
            source?.OnQueued();
            return AddResult.Queued;
        }
    }

    private static SigInfo LostInfo(int sig) => new() { Signo = sig, Code = 0 };

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
            else if (_rt?[sig] is { Count: > 0 } q)
            {
                e = q.Dequeue();
                _rtCount--;
                if (q.Count == 0)
                {
                    // Instances whose siginfo was lost while entries were queued merge into these (collect_signal).
                    _set &= ~Bit(sig);
                    _rtLost &= ~Bit(sig);
                }
            }
            else
            {
                e = new Entry { Info = LostInfo(sig) };
                _set &= ~Bit(sig);
                _rtLost &= ~Bit(sig);
            }
            e.Charged?.Uncharge();
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
        lock (this)
        {
            ulong set = _set & mask;
            for (int sig = 1; set != 0; sig++, set >>= 1)
                if ((set & 1) != 0) RemoveLocked(sig);
            _set &= ~mask;
        }
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
        if (sig >= FirstRt)
        {
            _rtLost &= ~Bit(sig);
            if (_rt?[sig] is not { } q) return;
            _rtCount -= q.Count;
            foreach (var e in q) e.Charged?.Uncharge();
            q.Clear();
        }
        else
        {
            if ((_set & Bit(sig)) != 0) _std[sig].Charged?.Uncharge();
            _std[sig] = default;
        }
    }
}
