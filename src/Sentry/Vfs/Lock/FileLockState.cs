using Csrunsc.Sentry.Kernel;

namespace Csrunsc.Sentry.Vfs.Lock;

/// <summary>
/// The locks of one file (Linux's file_lock_context): fcntl record locks (POSIX and OFD share one
/// list and conflict with each other) and flock locks (a separate list; the two kinds never
/// conflict). Guarded by <see cref="FileLocks.Sync"/>; waiters sleep on <see cref="Queue"/> and
/// re-check after every change.
/// </summary>
internal sealed class FileLockState
{
    public FileLockState(LockKey key) => Key = key;

    public LockKey Key { get; }

    /// <summary>Record locks, grouped by owner (in order of each owner's first lock), each group sorted by start, as Linux keeps them.</summary>
    public readonly List<PosixLock> Posix = new();

    public readonly List<FlockLock> Flocks = new();

    public readonly WaitQueue Queue = new();

    /// <summary>Tasks blocked in F_SETLKW/F_OFD_SETLKW/flock on this file (keeps the state alive).</summary>
    public int Waiters;

    public bool Unused => Posix.Count == 0 && Flocks.Count == 0 && Waiters == 0;

    /// <summary>The first record lock of another owner that conflicts with a request, or -1.</summary>
    public int FindPosixConflict(object owner, bool write, long start, long end)
    {
        for (int i = 0; i < Posix.Count; i++)
        {
            var l = Posix[i];
            if (ReferenceEquals(l.Owner, owner) || !l.Overlaps(start, end)) continue;
            if (write || l.Write) return i;
        }
        return -1;
    }

    /// <summary>
    /// Applies a granted request of owner (write/read lock, or unlock when unlock is set) over
    /// [start, end]: same-type locks that overlap or touch are merged into it, other-type locks
    /// and unlocked ranges are split around it (posix_lock_inode). Returns the change in the
    /// owner's number of locks, and whether anything of the owner's was removed or replaced.
    /// </summary>
    public int ApplyPosix(object owner, bool unlock, bool write, long start, long end, int pid, out bool changed)
    {
        changed = false;
        long ns = start, ne = end;
        int before = 0, insertAt = -1;
        var mine = new List<PosixLock>();
        for (int i = 0; i < Posix.Count; i++)
        {
            var l = Posix[i];
            if (!ReferenceEquals(l.Owner, owner)) continue;
            before++;
            if (insertAt < 0) insertAt = i;
            if (!unlock && l.Write == write)
            {
                bool apart = (ns > 0 && l.End < ns - 1) || (ne < PosixLock.ToEof && l.Start > ne + 1);
                if (apart)
                {
                    mine.Add(l);
                    continue;
                }
                // Touching or overlapping a lock of the same type: one lock covers both.
                ns = Math.Min(ns, l.Start);
                ne = Math.Max(ne, l.End);
                changed = true;
                continue;
            }
            if (!l.Overlaps(start, end))
            {
                mine.Add(l);
                continue;
            }
            changed = true;
            if (l.Start < start) mine.Add(l with { End = start - 1 });
            if (l.End > end) mine.Add(l with { Start = end + 1 });
        }
        if (!unlock)
        {
            mine.Add(new PosixLock { Owner = owner, Write = write, Start = ns, End = ne, Pid = pid });
        }
        mine.Sort(static (a, b) => a.Start.CompareTo(b.Start));
        if (insertAt < 0) insertAt = Posix.Count;
        else
        {
            // Remove the owner's old group, keeping everyone else in place.
            int removedBefore = 0;
            for (int i = 0; i < insertAt; i++) if (ReferenceEquals(Posix[i].Owner, owner)) removedBefore++;
            Posix.RemoveAll(l => ReferenceEquals(l.Owner, owner));
            insertAt -= removedBefore;
        }
        Posix.InsertRange(insertAt, mine);
        return mine.Count - before;
    }

    /// <summary>Removes every record lock of owner; returns how many went.</summary>
    public int RemovePosixOwner(object owner) => Posix.RemoveAll(l => ReferenceEquals(l.Owner, owner));

    public int FindFlock(FileDescription owner)
    {
        for (int i = 0; i < Flocks.Count; i++) if (ReferenceEquals(Flocks[i].Owner, owner)) return i;
        return -1;
    }

    public bool FlockConflicts(FileDescription owner, bool exclusive)
    {
        foreach (var l in Flocks)
        {
            if (!ReferenceEquals(l.Owner, owner) && (exclusive || l.Exclusive)) return true;
        }
        return false;
    }
}
