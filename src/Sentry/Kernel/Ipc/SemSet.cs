using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Csrunsc.Native;

namespace Csrunsc.Sentry.Kernel.Ipc;

/// <summary>struct sembuf as semop reads it.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 2)]
public struct SemBuf
{
    public ushort Num;
    public short Op;
    public short Flags;
}

/// <summary>
/// A SysV semaphore set (sem_array). semop applies a whole operation list or none of it; a list
/// that would block leaves the values as they were and its task sleeps on <see cref="Waiters"/>,
/// counted in the blocking semaphore's semncnt/semzcnt, until a change lets it retry. SEM_UNDO
/// adjustments live here per undo list (process), so SETVAL/SETALL can clear them as Linux does.
/// Guarded by the namespace's semaphore registry lock.
/// </summary>
public sealed class SemSet : IpcObject
{
    public const short SEM_UNDO = 0x1000;
    public const int GETPID = 11, GETVAL = 12, GETALL = 13, GETNCNT = 14, GETZCNT = 15, SETVAL = 16, SETALL = 17,
        SEM_STAT = 18, SEM_INFO = 19, SEM_STAT_ANY = 20;

    /// <summary>sizeof(struct semid64_ds) on x86-64.</summary>
    public const int DsSize = 104;

    public struct Sem
    {
        public int Val;
        public int Pid;
        public int Ncnt;
        public int Zcnt;
    }

    public readonly Sem[] Sems;
    public readonly WaitQueue Waiters = new();
    public long OtimeSec;

    /// <summary>semadj of each process (undo list) that used SEM_UNDO on this set.</summary>
    public readonly Dictionary<SemUndoList, int[]> Undo = new();

    public SemSet(IpcNamespace ns, int nsems)
    {
        Namespace = ns;
        Sems = new Sem[nsems];
    }

    public IpcNamespace Namespace { get; }

    /// <summary>This set's semadj array for an undo list, made on first use.</summary>
    public int[] UndoFor(SemUndoList list)
    {
        if (!Undo.TryGetValue(list, out var adj))
        {
            adj = new int[Sems.Length];
            Undo[list] = adj;
            lock (list.Sets) list.Sets.Add(this);
        }
        return adj;
    }

    /// <summary>
    /// Tries the whole list (perform_atomic_semop_slow): 0 when applied, -ERANGE, or -EAGAIN with
    /// blocking = the index of the operation that must wait; nothing changes unless it returns 0.
    /// </summary>
    public int TryApply(ReadOnlySpan<SemBuf> ops, int[]? adj, int pid, out int blocking)
    {
        blocking = -1;
        int i = 0, result = 0;
        for (; i < ops.Length; i++)
        {
            ref Sem s = ref Sems[ops[i].Num];
            int op = ops[i].Op, v = s.Val + op;
            if (op == 0 ? s.Val != 0 : v < 0)
            {
                blocking = i;
                result = -Errno.EAGAIN;
                break;
            }
            if (v > IpcNamespace.SemVmx)
            {
                result = -Errno.ERANGE;
                break;
            }
            if ((ops[i].Flags & SEM_UNDO) != 0)
            {
                int u = adj![ops[i].Num] - op;
                if (u < -IpcNamespace.SemAem - 1 || u > IpcNamespace.SemAem)
                {
                    result = -Errno.ERANGE;
                    break;
                }
                adj[ops[i].Num] = u;
            }
            s.Val = v;
        }
        if (result == 0)
        {
            foreach (var op in ops) Sems[op.Num].Pid = pid;
            OtimeSec = NowSec();
            return 0;
        }
        // Undo what was applied, last first.
        while (--i >= 0)
        {
            Sems[ops[i].Num].Val -= ops[i].Op;
            if ((ops[i].Flags & SEM_UNDO) != 0) adj![ops[i].Num] += ops[i].Op;
        }
        return result;
    }

    /// <summary>SETVAL/SETALL: every process's adjustment of the semaphore (or all, semnum &lt; 0) is dropped.</summary>
    public void ClearUndo(int semnum)
    {
        foreach (var adj in Undo.Values)
        {
            if (semnum >= 0) adj[semnum] = 0;
            else Array.Clear(adj);
        }
    }

    /// <summary>exit_sem(): one process's adjustments are applied (clamped to [0, SEMVMX]).</summary>
    public void ApplyUndo(SemUndoList list, int pid)
    {
        if (!Undo.Remove(list, out var adj)) return;
        bool changed = false;
        for (int i = 0; i < adj.Length; i++)
        {
            if (adj[i] == 0) continue;
            ref Sem s = ref Sems[i];
            s.Val = Math.Clamp(s.Val + adj[i], 0, IpcNamespace.SemVmx);
            s.Pid = pid;
            changed = true;
        }
        if (changed) Waiters.Notify();
    }

    /// <summary>Writes struct semid64_ds.</summary>
    public void WriteDs(Span<byte> b)
    {
        b[..DsSize].Clear();
        WritePerm(b);
        BinaryPrimitives.WriteInt64LittleEndian(b[48..], OtimeSec);
        BinaryPrimitives.WriteInt64LittleEndian(b[64..], CtimeSec);
        BinaryPrimitives.WriteInt64LittleEndian(b[80..], Sems.Length);
    }

    /// <summary>IPC_RMID: every waiter wakes to EIDRM; the undo entries go with the set.</summary>
    public void Destroy()
    {
        foreach (var list in Undo.Keys)
            lock (list.Sets) list.Sets.Remove(this);
        Undo.Clear();
        Waiters.Notify();
    }
}
