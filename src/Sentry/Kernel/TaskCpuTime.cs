using Csrunsc.Native;

namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// CPU-time accounting, as gVisor's ptrace platform does it: user time is the time the task's
/// guest code runs (wall time inside <c>Switch</c>; the stub is traced, so nothing else runs
/// there), system time is the CPU time of the task's own OS thread (the Sentry working on its
/// behalf: syscalls, faults, ptrace). Readable from any thread.
/// </summary>
public sealed partial class Task
{
    private long _userNs;
    private long _guestSinceNs; // CLOCK_MONOTONIC at the last entry to guest code; 0 outside it
    private int _hostTid;       // the task's OS thread (its CPU clock is the system time)
    private long _finalSystemNs = -1;

    private void StartCpuAccounting() => _hostTid = Libc.GetTid();

    private void EnterGuest() => Volatile.Write(ref _guestSinceNs, MonotonicClock.NowNs());

    private void LeaveGuest()
    {
        long since = _guestSinceNs;
        Volatile.Write(ref _guestSinceNs, 0);
        Volatile.Write(ref _userNs, _userNs + (MonotonicClock.NowNs() - since));
    }

    /// <summary>User time in ns (including the current stretch in guest code).</summary>
    public long CpuUserNs()
    {
        long user = Volatile.Read(ref _userNs);
        long since = Volatile.Read(ref _guestSinceNs);
        return since != 0 ? user + Math.Max(0, MonotonicClock.NowNs() - since) : user;
    }

    /// <summary>System time in ns.</summary>
    public unsafe long CpuSystemNs()
    {
        long final = Volatile.Read(ref _finalSystemNs);
        if (final >= 0) return final;
        int tid = _hostTid;
        if (tid == 0) return 0;
        Timespec ts;
        // MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED): another thread of this process may be read.
        if (Libc.ClockGetTime((~tid << 3) | 6, &ts) != 0) return Math.Max(0, Volatile.Read(ref _finalSystemNs));
        return ts.Sec * 1_000_000_000 + ts.Nsec;
    }

    /// <summary>At the end of the task's thread, before it leaves its group (which then adds both figures to its own).</summary>
    private void FreezeCpuAccounting() => Volatile.Write(ref _finalSystemNs, CpuSystemNs());
}
