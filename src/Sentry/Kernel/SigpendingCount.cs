namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// RLIMIT_SIGPENDING's count (ucounts' UCOUNT_RLIMIT_SIGPENDING): the signals queued with their
/// siginfo to every task of one real uid in the sandbox. Each queued entry remembers the count it
/// was charged to (as a sigqueue keeps its ucounts) and gives it back when it is taken or flushed.
/// </summary>
public sealed class SigpendingCount
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Charges one queued signal: true, or false (nothing charged) when limit would be passed and the queueing may not override it.</summary>
    public bool TryCharge(ulong limit, bool overrideLimit)
    {
        int n = Interlocked.Increment(ref _count);
        if (overrideLimit || (ulong)n <= limit) return true;
        Interlocked.Decrement(ref _count);
        return false;
    }

    public void Uncharge() => Interlocked.Decrement(ref _count);
}
