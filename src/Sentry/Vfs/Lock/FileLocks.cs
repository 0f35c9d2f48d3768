using Csrunsc.Native;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Vfs.Lock;

/// <summary>
/// Every file lock of the sandbox (one Sentry = one sandbox, so one table serves every process):
/// fcntl record locks (POSIX, owned by the fd table; OFD, owned by the open file description)
/// and flock locks, with Linux's fs/locks.c semantics. One lock guards it all, as Linux's
/// blocked_lock_lock guards its deadlock graph. Results are 0 or -errno; waits end with
/// -ERESTARTSYS on a signal (the syscall layer restarts or answers EINTR).
/// </summary>
internal static class FileLocks
{
    /// <summary>Guards every <see cref="FileLockState"/> and the table of blocked requests.</summary>
    internal static readonly object Sync = new();

    private static readonly Dictionary<LockKey, FileLockState> s_files = new();

    /// <summary>Blocked POSIX (non-OFD) requests, for deadlock detection (Linux's blocked_hash).</summary>
    private static readonly List<BlockedRequest> s_blocked = new();

    /// <summary>Linux's MAX_DEADLK_ITERATIONS.</summary>
    private const int MaxDeadlockIterations = 10;

    private sealed class BlockedRequest
    {
        public required object Owner;
        public required FileLockState State;
        public bool Write;
        public long Start, End;
    }

    /// <summary>
    /// F_SETLK/F_SETLKW/F_OFD_SETLK/F_OFD_SETLKW with a validated range. owner is the fd table
    /// (POSIX) or the description (OFD); pid is what F_GETLK will report.
    /// </summary>
    public static int SetPosix(Task task, FileDescription file, object owner, bool ofd, int pid,
        bool unlock, bool write, long start, long end, bool wait)
    {
        var key = LockKey.Of(file);
        BlockedRequest? blocked = null;
        FileLockState? state = null;
        try
        {
            while (true)
            {
                lock (Sync)
                {
                    if (state is null)
                    {
                        if (!s_files.TryGetValue(key, out state))
                        {
                            if (unlock) return 0;
                            state = new FileLockState(key);
                            s_files[key] = state;
                        }
                    }
                    int conflict = unlock ? -1 : state.FindPosixConflict(owner, write, start, end);
                    if (conflict < 0)
                    {
                        int delta = state.ApplyPosix(owner, unlock, write, start, end, pid, out bool changed);
                        Account(owner, file, state, delta);
                        if (changed) state.Queue.Notify();
                        return 0;
                    }
                    if (!wait) return -Errno.EAGAIN;
                    if (!ofd && Deadlocks(owner, state.Posix[conflict].Owner)) return -Errno.EDEADLK;
                    if (blocked is null)
                    {
                        blocked = new BlockedRequest { Owner = owner, State = state, Write = write, Start = start, End = end };
                        if (!ofd) s_blocked.Add(blocked);
                        state.Waiters++;
                    }
                    state.Queue.Subscribe(task);
                }
                int r = task.Block();
                lock (Sync) state.Queue.Unsubscribe(task);
                if (r < 0) return r;
            }
        }
        finally
        {
            if (blocked is not null)
            {
                lock (Sync)
                {
                    s_blocked.Remove(blocked);
                    state!.Waiters--;
                    Forget(state);
                }
            }
            else if (state is not null)
            {
                lock (Sync) Forget(state);
            }
        }
    }

    /// <summary>
    /// F_GETLK/F_OFD_GETLK: the first lock of another owner that would block the request, or
    /// false when it could be granted.
    /// </summary>
    public static bool TestPosix(FileDescription file, object owner, bool write, long start, long end, out PosixLock found)
    {
        found = default;
        var key = LockKey.Of(file);
        lock (Sync)
        {
            if (!s_files.TryGetValue(key, out var state)) return false;
            int i = state.FindPosixConflict(owner, write, start, end);
            if (i < 0) return false;
            found = state.Posix[i];
            return true;
        }
    }

    /// <summary>
    /// flock(2). A description's lock is converted by dropping it first (Linux's flock_lock_inode:
    /// not atomic, and a refused LOCK_NB conversion leaves no lock).
    /// </summary>
    public static int Flock(Task task, FileDescription file, bool unlock, bool exclusive, bool wait)
    {
        var key = LockKey.Of(file);
        FileLockState? state = null;
        bool waiting = false;
        try
        {
            while (true)
            {
                lock (Sync)
                {
                    if (state is null)
                    {
                        if (!s_files.TryGetValue(key, out state))
                        {
                            if (unlock) return 0;
                            state = new FileLockState(key);
                            s_files[key] = state;
                        }
                        int mine = state.FindFlock(file);
                        if (mine >= 0)
                        {
                            if (!unlock && state.Flocks[mine].Exclusive == exclusive) return 0;
                            state.Flocks.RemoveAt(mine);
                            state.Queue.Notify();
                        }
                        if (unlock) return 0;
                    }
                    if (!state.FlockConflicts(file, exclusive))
                    {
                        state.Flocks.Add(new FlockLock { Owner = file, Exclusive = exclusive });
                        file.LockState = state;
                        return 0;
                    }
                    if (!wait) return -Errno.EAGAIN;
                    if (!waiting)
                    {
                        waiting = true;
                        state.Waiters++;
                    }
                    state.Queue.Subscribe(task);
                }
                int r = task.Block();
                lock (Sync) state.Queue.Unsubscribe(task);
                if (r < 0) return r;
            }
        }
        finally
        {
            if (state is not null)
            {
                lock (Sync)
                {
                    if (waiting) state.Waiters--;
                    Forget(state);
                }
            }
        }
    }

    /// <summary>
    /// A descriptor of fds was closed (close, dup2 over it, exec's close-on-exec, exit): the
    /// POSIX locks that fd table holds on the file go, whichever descriptor took them (Linux's
    /// locks_remove_posix from filp_close).
    /// </summary>
    public static void ClosedByFdTable(FdTable fds, FileDescription file)
    {
        if (Volatile.Read(ref fds.PosixLockCount) == 0) return;
        var key = LockKey.Of(file);
        lock (Sync)
        {
            if (!s_files.TryGetValue(key, out var state)) return;
            int n = state.RemovePosixOwner(fds);
            if (n == 0) return;
            fds.PosixLockCount -= n;
            state.Queue.Notify();
            Forget(state);
        }
    }

    /// <summary>The last reference to a description went: its OFD and flock locks go (locks_remove_file).</summary>
    public static void DescriptionReleased(FileDescription file)
    {
        lock (Sync)
        {
            var state = file.LockState;
            if (state is null) return;
            file.LockState = null;
            int n = state.RemovePosixOwner(file);
            int f = state.FindFlock(file);
            if (f >= 0) state.Flocks.RemoveAt(f);
            if (n > 0 || f >= 0) state.Queue.Notify();
            Forget(state);
        }
    }

    /// <summary>Keeps the owners' bookkeeping: an fd table's lock count (checked on every close), a description's state (checked on release).</summary>
    private static void Account(object owner, FileDescription file, FileLockState state, int delta)
    {
        if (owner is FdTable fds) fds.PosixLockCount += delta;
        else if (delta != 0 || state.Posix.Exists(l => ReferenceEquals(l.Owner, file))) file.LockState = state;
    }

    private static void Forget(FileLockState state)
    {
        if (state.Unused && s_files.TryGetValue(state.Key, out var cur) && ReferenceEquals(cur, state)) s_files.Remove(state.Key);
    }

    /// <summary>
    /// Whether waiting for blocker's lock would close a cycle back to owner: follows "the owner of
    /// the lock I wait for waits for ..." as Linux's posix_locks_deadlock (POSIX waiters only).
    /// </summary>
    private static bool Deadlocks(object owner, object blocker)
    {
        for (int i = 0; i <= MaxDeadlockIterations; i++)
        {
            if (ReferenceEquals(blocker, owner)) return true;
            BlockedRequest? next = null;
            foreach (var b in s_blocked)
            {
                if (ReferenceEquals(b.Owner, blocker))
                {
                    next = b;
                    break;
                }
            }
            if (next is null) return false;
            int c = next.State.FindPosixConflict(next.Owner, next.Write, next.Start, next.End);
            if (c < 0) return false;
            blocker = next.State.Posix[c].Owner;
        }
        return false;
    }
}
