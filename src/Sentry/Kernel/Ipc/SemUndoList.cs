namespace Csrunsc.Sentry.Kernel.Ipc;

/// <summary>
/// A process's SEM_UNDO record (sem_undo_list): the sets holding adjustments for it. Shared by the
/// threads of a process and by processes cloned with CLONE_SYSVSEM; applied when the last of them exits.
/// </summary>
public sealed class SemUndoList
{
    private int _refs = 1;

    /// <summary>Sets with an adjustment array for this list (guarded by itself: the sets may be of several namespaces).</summary>
    public readonly List<SemSet> Sets = new();

    public void AddRef() => Interlocked.Increment(ref _refs);

    /// <summary>Drops a sharer; the last one applies every adjustment (exit_sem).</summary>
    public void Release(int pid)
    {
        if (Interlocked.Decrement(ref _refs) != 0) return;
        SemSet[] sets;
        lock (Sets) sets = Sets.ToArray();
        foreach (var set in sets)
        {
            lock (set.Namespace.Sem.Lock)
                if (!set.Removed) set.ApplyUndo(this, pid);
        }
        lock (Sets) Sets.Clear();
    }
}
