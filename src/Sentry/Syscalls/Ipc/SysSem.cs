using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Csrunsc.Native;
using Csrunsc.Sentry.Kernel.Ipc;
using Csrunsc.Sentry.Syscalls.File;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Ipc;

/// <summary>semget, semop, semtimedop, semctl: SysV semaphores (ipc/sem.c).</summary>
internal static class SysSem
{
    public static long Semget(Task t, in SyscallArguments a)
    {
        int key = a.Int(0), nsems = a.Int(1), flags = a.Int(2);
        var ns = IpcCommon.Ns(t);
        if (nsems < 0 || nsems > ns.SemMsl) return -Errno.EINVAL;
        var reg = ns.Sem;
        return reg.Get(t, key, flags,
            set => nsems > set.Sems.Length ? -Errno.EINVAL : 0,
            () => new SemSet(ns, nsems),
            () =>
            {
                if (nsems == 0) return -Errno.EINVAL;
                long used = 0;
                foreach (var s in reg.All()) used += s.Sems.Length;
                return used + nsems > ns.SemMns ? -Errno.ENOSPC : 0;
            });
    }

    // nsops is an unsigned int: the register's upper half is not looked at.
    public static long Semop(Task t, in SyscallArguments a) => Do(t, a.Int(0), a.A1, (uint)a.A2, long.MaxValue);

    public static long Semtimedop(Task t, in SyscallArguments a)
    {
        int r = ReadinessWait.DeadlineFromTimespec(t, a.A3, out long deadline, out _);
        if (r < 0) return r;
        return Do(t, a.Int(0), a.A1, (uint)a.A2, deadline);
    }

    private static long Do(Task t, int id, ulong sops, long nsops, long deadline)
    {
        if (nsops < 1 || id < 0) return -Errno.EINVAL;
        if (nsops > IpcCommon.Ns(t).SemOpm) return -Errno.E2BIG;
        Span<SemBuf> ops = stackalloc SemBuf[(int)nsops];
        if (t.CopyIn(sops, MemoryMarshal.AsBytes(ops)) < 0) return -Errno.EFAULT;
        int max = 0;
        bool undo = false, alter = false;
        foreach (var op in ops)
        {
            max = Math.Max(max, op.Num);
            undo |= (op.Flags & SemSet.SEM_UNDO) != 0;
            alter |= op.Op != 0;
        }
        var reg = IpcCommon.Ns(t).Sem;
        int pid = t.ThreadGroup.Tgid;
        SemSet? set;
        int[]? adj = null;
        lock (reg.Lock)
        {
            set = reg.FindId(id);
            if (set is null) return -Errno.EINVAL;
            if (max >= set.Sems.Length) return -Errno.EFBIG;
            if (!set.MayAccess(t, alter ? IpcCommon.Write : IpcCommon.Read)) return -Errno.EACCES;
            if (undo) adj = set.UndoFor(t.ThreadGroup.SemUndo ??= new SemUndoList());
        }
        set.Waiters.Subscribe(t);
        try
        {
            while (true)
            {
                int blocking;
                lock (reg.Lock)
                {
                    if (set.Removed) return -Errno.EIDRM;
                    int r = set.TryApply(ops, adj, pid, out blocking);
                    if (r == 0)
                    {
                        if (alter) set.Waiters.Notify();
                        return 0;
                    }
                    if (r != -Errno.EAGAIN || (ops[blocking].Flags & IpcObject.IPC_NOWAIT) != 0) return r;
                    Count(set, ops[blocking], +1);
                }
                int w = t.BlockUntil(deadline);
                lock (reg.Lock)
                {
                    if (!set.Removed) Count(set, ops[blocking], -1);
                }
                if (w == -Errno.ETIMEDOUT) return -Errno.EAGAIN;
                // semop is never restarted: a signal ends it with EINTR whatever SA_RESTART says.
                if (w < 0) return -Errno.EINTR;
            }
        }
        finally
        {
            set.Waiters.Unsubscribe(t);
        }
    }

    /// <summary>semncnt/semzcnt: the tasks sleeping on an operation that waits for this semaphore.</summary>
    private static void Count(SemSet set, SemBuf op, int delta)
    {
        ref var s = ref set.Sems[op.Num];
        if (op.Op == 0) s.Zcnt += delta;
        else s.Ncnt += delta;
    }

    public static long Semctl(Task t, in SyscallArguments a)
    {
        int id = a.Int(0), semnum = a.Int(1), cmd = a.Int(2);
        ulong arg = a.A3;
        var reg = IpcCommon.Ns(t).Sem;
        int pid = t.ThreadGroup.Tgid;
        switch (cmd)
        {
            case IpcObject.IPC_INFO:
            case SemSet.SEM_INFO:
            {
                Span<int> info = stackalloc int[10];
                int maxIndex;
                lock (reg.Lock)
                {
                    maxIndex = reg.MaxIndex;
                    // semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz, semvmx, semaem
                    info[0] = IpcCommon.Ns(t).SemMns;
                    info[1] = reg.Mni;
                    info[2] = IpcCommon.Ns(t).SemMns;
                    info[3] = IpcCommon.Ns(t).SemMns;
                    info[4] = IpcCommon.Ns(t).SemMsl;
                    info[5] = IpcCommon.Ns(t).SemOpm;
                    info[6] = IpcCommon.Ns(t).SemOpm;
                    info[7] = 20;
                    info[8] = IpcNamespace.SemVmx;
                    info[9] = IpcNamespace.SemAem;
                    if (cmd == SemSet.SEM_INFO)
                    {
                        int used = 0;
                        foreach (var s in reg.All()) used += s.Sems.Length;
                        info[7] = reg.InUse;
                        info[9] = used;
                    }
                }
                if (t.CopyOut(arg, MemoryMarshal.AsBytes(info)) < 0) return -Errno.EFAULT;
                return Math.Max(maxIndex, 0);
            }
            case IpcObject.IPC_STAT:
            case SemSet.SEM_STAT:
            case SemSet.SEM_STAT_ANY:
            {
                Span<byte> ds = stackalloc byte[SemSet.DsSize];
                int result;
                lock (reg.Lock)
                {
                    var set = cmd == IpcObject.IPC_STAT ? reg.FindId(id) : reg.AtIndex(id);
                    if (set is null) return -Errno.EINVAL;
                    if (cmd != SemSet.SEM_STAT_ANY && !set.MayAccess(t, IpcCommon.Read)) return -Errno.EACCES;
                    set.WriteDs(ds);
                    result = cmd == IpcObject.IPC_STAT ? 0 : set.Id;
                }
                if (t.CopyOut(arg, ds) < 0) return -Errno.EFAULT;
                return result;
            }
            case IpcObject.IPC_SET:
            {
                Span<byte> ds = stackalloc byte[SemSet.DsSize];
                if (t.CopyIn(arg, ds) < 0) return -Errno.EFAULT;
                lock (reg.Lock)
                {
                    var set = reg.FindId(id);
                    if (set is null) return -Errno.EINVAL;
                    if (!set.MayControl(t)) return -Errno.EPERM;
                    if (!IpcObject.ValidPerm(ds)) return -Errno.EINVAL;
                    set.SetPerm(ds);
                }
                return 0;
            }
            case IpcObject.IPC_RMID:
                lock (reg.Lock)
                {
                    var set = reg.FindId(id);
                    if (set is null) return -Errno.EINVAL;
                    if (!set.MayControl(t)) return -Errno.EPERM;
                    reg.Remove(set);
                    set.Destroy();
                }
                return 0;
            case SemSet.SETVAL:
            {
                int val = (int)arg;
                if (val > IpcNamespace.SemVmx || val < 0) return -Errno.ERANGE;
                lock (reg.Lock)
                {
                    var set = reg.FindId(id);
                    if (set is null) return -Errno.EINVAL;
                    if (semnum < 0 || semnum >= set.Sems.Length) return -Errno.EINVAL;
                    if (!set.MayAccess(t, IpcCommon.Write)) return -Errno.EACCES;
                    set.ClearUndo(semnum);
                    set.Sems[semnum].Val = val;
                    set.Sems[semnum].Pid = pid;
                    set.CtimeSec = IpcObject.NowSec();
                    set.Waiters.Notify();
                }
                return 0;
            }
            case SemSet.GETALL:
            case SemSet.SETALL:
            {
                int n;
                lock (reg.Lock)
                {
                    var set = reg.FindId(id);
                    if (set is null) return -Errno.EINVAL;
                    if (!set.MayAccess(t, cmd == SemSet.SETALL ? IpcCommon.Write : IpcCommon.Read)) return -Errno.EACCES;
                    n = set.Sems.Length;
                }
                // At most SEMMSL (32000) values: they fit the task's 64 KiB scratch buffer.
                var values = MemoryMarshal.Cast<byte, ushort>(t.Scratch.AsSpan(0, n * 2));
                if (cmd == SemSet.SETALL)
                {
                    if (t.CopyIn(arg, MemoryMarshal.AsBytes(values)) < 0) return -Errno.EFAULT;
                    foreach (ushort v in values)
                        if (v > IpcNamespace.SemVmx) return -Errno.ERANGE;
                }
                lock (reg.Lock)
                {
                    var set = reg.FindId(id);
                    if (set is null) return -Errno.EIDRM;
                    if (cmd == SemSet.GETALL)
                    {
                        for (int i = 0; i < n; i++) values[i] = (ushort)set.Sems[i].Val;
                    }
                    else
                    {
                        set.ClearUndo(-1);
                        for (int i = 0; i < n; i++)
                        {
                            set.Sems[i].Val = values[i];
                            set.Sems[i].Pid = pid;
                        }
                        set.CtimeSec = IpcObject.NowSec();
                        set.Waiters.Notify();
                    }
                }
                if (cmd == SemSet.GETALL && t.CopyOut(arg, MemoryMarshal.AsBytes(values)) < 0) return -Errno.EFAULT;
                return 0;
            }
            case SemSet.GETVAL:
            case SemSet.GETPID:
            case SemSet.GETNCNT:
            case SemSet.GETZCNT:
                lock (reg.Lock)
                {
                    var set = reg.FindId(id);
                    if (set is null) return -Errno.EINVAL;
                    if (!set.MayAccess(t, IpcCommon.Read)) return -Errno.EACCES;
                    if (semnum < 0 || semnum >= set.Sems.Length) return -Errno.EINVAL;
                    ref var s = ref set.Sems[semnum];
                    return cmd switch
                    {
                        SemSet.GETVAL => s.Val,
                        SemSet.GETPID => s.Pid,
                        SemSet.GETNCNT => s.Ncnt,
                        _ => s.Zcnt,
                    };
                }
            default:
                return -Errno.EINVAL;
        }
    }
}
