using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Memory;

/// <summary>
/// mlock, mlock2, munlock, mlockall, munlockall and MAP_LOCKED's checks, as mm/mlock.c: a VMA flag
/// counted against RLIMIT_MEMLOCK (without CAP_IPC_LOCK: a zero limit is EPERM, a lock beyond it
/// ENOMEM, a MAP_LOCKED or MCL_FUTURE mapping beyond it EAGAIN). The memory file is never swapped,
/// so the lock pins nothing more; MLOCK_ONFAULT/MCL_ONFAULT are accepted as the same lock.
/// </summary>
internal static class SysMlock
{
    public const int MLOCK_ONFAULT = 1, MCL_CURRENT = 1, MCL_FUTURE = 2, MCL_ONFAULT = 4, MAP_LOCKED = 0x2000;

    /// <summary>can_do_mlock: CAP_IPC_LOCK or a non-zero RLIMIT_MEMLOCK.</summary>
    public static bool CanLock(Task t) =>
        Capabilities.Has(t, Capabilities.IPC_LOCK) || Rlimits.Cur(t.ThreadGroup, Rlimits.MEMLOCK) != 0;

    public static long Mlock(Task t, in SyscallArguments a) => Lock(t, a.A0, a.A1);

    public static long Mlock2(Task t, in SyscallArguments a) =>
        (a.A2 & ~(ulong)MLOCK_ONFAULT) != 0 ? -Errno.EINVAL : Lock(t, a.A0, a.A1);

    private static long Lock(Task t, ulong addr, ulong len)
    {
        if (!CanLock(t)) return -Errno.EPERM;
        if (!Range(addr, len, out ulong start, out ulong end)) return -Errno.EINVAL;
        if (start == end) return 0;
        var mm = t.Mm;
        ulong limit = Rlimits.Cur(t.ThreadGroup, Rlimits.MEMLOCK) & ~0xFFFUL;
        ulong locked = mm.LockedBytes + (end - start);
        bool cap = Capabilities.Has(t, Capabilities.IPC_LOCK);
        if (locked > limit && !cap) locked -= mm.LockedBytesIn(start, end);
        if (locked > limit && !cap) return -Errno.ENOMEM;
        int r = mm.SetLocked(start, end, true);
        // __mm_populate faults nothing in a PROT_NONE mapping: ENOMEM (the range stays VM_LOCKED).
        if (r == 0 && mm.HasProtNoneIn(start, end)) return -Errno.ENOMEM;
        return r;
    }

    public static long Munlock(Task t, in SyscallArguments a)
    {
        if (!Range(a.A0, a.A1, out ulong start, out ulong end)) return -Errno.EINVAL;
        return start == end ? 0 : t.Mm.SetLocked(start, end, false);
    }

    public static long Mlockall(Task t, in SyscallArguments a)
    {
        ulong flags = a.A0;
        if (flags == 0 || (flags & ~(ulong)(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) != 0 || flags == MCL_ONFAULT) return -Errno.EINVAL;
        if (!CanLock(t)) return -Errno.EPERM;
        var mm = t.Mm;
        ulong limit = Rlimits.Cur(t.ThreadGroup, Rlimits.MEMLOCK) & ~0xFFFUL;
        if ((flags & MCL_CURRENT) != 0 && mm.VirtualBytes > limit && !Capabilities.Has(t, Capabilities.IPC_LOCK)) return -Errno.ENOMEM;
        mm.LockFuture = (flags & MCL_FUTURE) != 0;
        if ((flags & MCL_CURRENT) != 0) mm.SetAllLocked(true);
        return 0;
    }

    public static long Munlockall(Task t, in SyscallArguments a)
    {
        t.Mm.LockFuture = false;
        t.Mm.SetAllLocked(false);
        return 0;
    }

    /// <summary>
    /// For mmap of length bytes: whether it will be locked (MAP_LOCKED or MCL_FUTURE) and may be
    /// (0, -EPERM without can_do_mlock for MAP_LOCKED, -EAGAIN beyond the limit: mlock_future_ok).
    /// </summary>
    public static int CheckMapLocked(Task t, int flags, ulong length, out bool locked)
    {
        locked = (flags & MAP_LOCKED) != 0 || t.Mm.LockFuture;
        if ((flags & MAP_LOCKED) != 0 && !CanLock(t)) return -Errno.EPERM;
        if (!locked || Capabilities.Has(t, Capabilities.IPC_LOCK)) return 0;
        ulong limit = Rlimits.Cur(t.ThreadGroup, Rlimits.MEMLOCK) & ~0xFFFUL;
        return t.Mm.LockedBytes + length > limit ? -Errno.EAGAIN : 0;
    }

    /// <summary>start rounded down, length up to pages (with start's offset); false when the range wraps.</summary>
    private static bool Range(ulong addr, ulong len, out ulong start, out ulong end)
    {
        start = addr & ~0xFFFUL;
        ulong l = len + (addr & 0xFFF);
        end = start + ((l + 0xFFF) & ~0xFFFUL);
        return l >= len && ((l + 0xFFF) & ~0xFFFUL) >= l && end >= start;
    }
}
