using Csrunsc.Native;

namespace Csrunsc.Sentry.Kernel;

/// <summary>A set of pending signals with the siginfo of each (standard signals are not queued twice).</summary>
public sealed class PendingSignals
{
    private ulong _set;
    private readonly SigInfo[] _info = new SigInfo[SignalHandlers.MaxSignal + 1];

    public static ulong Bit(int sig) => 1UL << (sig - 1);

    public ulong Set => Volatile.Read(ref _set);

    public void Add(in SigInfo info)
    {
        lock (this)
        {
            if ((_set & Bit(info.Signo)) != 0) return;
            _info[info.Signo] = info;
            _set |= Bit(info.Signo);
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
            info = _info[sig];
            _set &= ~Bit(sig);
            return true;
        }
    }

    public void Remove(int sig)
    {
        lock (this) _set &= ~Bit(sig);
    }

    public void RemoveMask(ulong mask)
    {
        lock (this) _set &= ~mask;
    }

    public void Clear()
    {
        lock (this) _set = 0;
    }
}
