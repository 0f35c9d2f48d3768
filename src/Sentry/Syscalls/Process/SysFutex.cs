using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Process;

/// <summary>futex(2): WAIT, WAKE, the bitset variants, REQUEUE and CMP_REQUEUE.</summary>
internal static class SysFutex
{
    private const int FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4, FUTEX_WAKE_OP = 5,
        FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10, FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256;

    public static long Futex(Task t, in SyscallArguments a)
    {
        ulong addr = a.A0;
        int op = a.Int(1) & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
        bool realtime = (a.Int(1) & FUTEX_CLOCK_REALTIME) != 0;
        bool priv = (a.Int(1) & FUTEX_PRIVATE_FLAG) != 0;
        uint val = (uint)a.A2;
        var futexes = t.Kernel.Futexes;
        switch (op)
        {
            case FUTEX_WAIT:
            case FUTEX_WAIT_BITSET:
            {
                uint bitset = op == FUTEX_WAIT ? uint.MaxValue : (uint)a.A5;
                if (bitset == 0) return -Errno.EINVAL;
                long deadline = long.MaxValue;
                if (a.A3 != 0)
                {
                    if (t.ReadStruct(a.A3, out Timespec ts) < 0) return -Errno.EFAULT;
                    long ns = ts.Sec * 1_000_000_000 + ts.Nsec;
                    deadline = op == FUTEX_WAIT
                        ? MonotonicClock.NowNs() + ns
                        : MonotonicClock.NowNs() + (ns - (realtime ? MonotonicClock.RealtimeNs() : MonotonicClock.NowNs()));
                }
                int r = futexes.Wait(t, addr, val, deadline, bitset, priv);
                return r == -Errno.ERESTARTSYS ? -Errno.EINTR : r;
            }
            case FUTEX_WAKE:
                return futexes.Wake(t.Mm, addr, (int)Math.Min(val, int.MaxValue), uint.MaxValue, priv);
            case FUTEX_WAKE_BITSET:
                if ((uint)a.A5 == 0) return -Errno.EINVAL;
                return futexes.Wake(t.Mm, addr, (int)Math.Min(val, int.MaxValue), (uint)a.A5, priv);
            case FUTEX_REQUEUE:
                return futexes.Requeue(t, addr, a.A4, (int)val, (int)a.A3, null, priv);
            case FUTEX_CMP_REQUEUE:
                return futexes.Requeue(t, addr, a.A4, (int)val, (int)a.A3, (uint)a.A5, priv);
            case FUTEX_WAKE_OP:
                return WakeOp(t, addr, (int)val, (int)a.A3, a.A4, (uint)a.A5, priv);
            default:
                return -Errno.ENOSYS;
        }
    }

    private static long WakeOp(Task t, ulong addr1, int n1, int n2, ulong addr2, uint encoded, bool priv)
    {
        int op = (int)((encoded >> 28) & 7), cmp = (int)((encoded >> 24) & 15);
        uint oparg = (encoded >> 12) & 0xFFF, cmparg = encoded & 0xFFF;
        if (((encoded >> 28) & 8) != 0) oparg = 1u << (int)oparg;
        if (t.ReadStruct(addr2, out uint old) < 0) return -Errno.EFAULT;
        uint nv = op switch { 0 => oparg, 1 => old + oparg, 2 => old | oparg, 3 => old & ~oparg, 4 => old ^ oparg, _ => old };
        if (t.WriteStruct(addr2, nv) < 0) return -Errno.EFAULT;
        int woken = t.Kernel.Futexes.Wake(t.Mm, addr1, n1, uint.MaxValue, priv);
        bool c = cmp switch
        {
            0 => old == cmparg, 1 => old != cmparg, 2 => (int)old < (int)cmparg, 3 => (int)old <= (int)cmparg,
            4 => (int)old > (int)cmparg, 5 => (int)old >= (int)cmparg, _ => false,
        };
        if (c) woken += t.Kernel.Futexes.Wake(t.Mm, addr2, n2, uint.MaxValue, priv);
        return woken;
    }
}
