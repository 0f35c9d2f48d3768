using Csrunsc.Native;

namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// Resource limits (getrlimit/setrlimit/prlimit64) and where the Sentry enforces them: NOFILE at fd
/// allocation (<see cref="Vfs.FdTable.Limit"/>), FSIZE on writes and truncates (<see cref="CheckFileSize"/>),
/// NPROC on fork/clone, AS on mmap/brk/mremap (<see cref="CheckAddressSpace"/>), CPU by a CPU-clock
/// timer (<see cref="Time.RlimitCpuTimer"/>). The limits of a
/// thread group are one array, copied on fork; unconfigured ones start at Linux's defaults.
/// </summary>
public static class Rlimits
{
    public const int CPU = 0, FSIZE = 1, DATA = 2, STACK = 3, CORE = 4, RSS = 5, NPROC = 6, NOFILE = 7, MEMLOCK = 8,
        AS = 9, LOCKS = 10, SIGPENDING = 11, MSGQUEUE = 12, NICE = 13, RTPRIO = 14, RTTIME = 15, Count = 16;

    public const ulong Infinity = ulong.MaxValue;

    /// <summary>fs.nr_open: RLIMIT_NOFILE can never go above it (EPERM).</summary>
    public const int NrOpen = 1048576;

    public static (ulong Cur, ulong Max) Default(int res) => res switch
    {
        STACK => (8UL << 20, Infinity),
        CORE => (0, Infinity),
        NOFILE => (1024, 1048576),
        NPROC or SIGPENDING => (63536, 63536),
        MEMLOCK => (8UL << 20, 8UL << 20),
        MSGQUEUE => (819200, 819200),
        NICE or RTPRIO => (0, 0),
        _ => (Infinity, Infinity),
    };

    public static (ulong Cur, ulong Max)[] Defaults()
    {
        var a = new (ulong, ulong)[Count];
        for (int i = 0; i < Count; i++) a[i] = Default(i);
        return a;
    }

    public static (ulong Cur, ulong Max) Get(ThreadGroup g, int res)
    {
        lock (g.Rlimits) return g.Rlimits[res];
    }

    public static ulong Cur(ThreadGroup g, int res) => Get(g, res).Cur;

    /// <summary>
    /// prlimit64's checks and update (do_prlimit): cur ≤ max; raising max needs CAP_SYS_RESOURCE;
    /// NOFILE never above nr_open; another process only with matching ids or CAP_SYS_RESOURCE.
    /// </summary>
    public static int Set(Task caller, ThreadGroup target, int res, (ulong Cur, ulong Max) nl, out (ulong Cur, ulong Max) old)
    {
        old = Get(target, res);
        if (nl.Cur > nl.Max) return -Errno.EINVAL;
        if (res == NOFILE && nl.Max > NrOpen) return -Errno.EPERM;
        if (nl.Max > old.Max && !Capabilities.Has(caller, Capabilities.SYS_RESOURCE)) return -Errno.EPERM;
        lock (target.Rlimits)
        {
            old = target.Rlimits[res];
            target.Rlimits[res] = nl;
        }
        if (res == NOFILE)
            foreach (var t in target.TasksSnapshot()) t.Fds.Limit = (int)Math.Min(nl.Cur, NrOpen);
        if (res == CPU) ArmCpuLimit(target);
        return 0;
    }

    /// <summary>
    /// Arms (or re-arms, or disarms) the group's RLIMIT_CPU check at its current limits: after
    /// setrlimit/prlimit64, on fork (the child counts its own CPU time) and at the container's start.
    /// </summary>
    public static void ArmCpuLimit(ThreadGroup g)
    {
        Time.RlimitCpuTimer timer;
        lock (g.Rlimits)
        {
            if (g.CpuLimit is null && g.Rlimits[CPU].Cur == Infinity) return;
            timer = g.CpuLimit ??= new Time.RlimitCpuTimer(g.Kernel.Timers, g);
        }
        timer.Update();
    }

    /// <summary>Whether caller may read or change the limits of target (check_prlimit_permission).</summary>
    public static bool MayAccess(Task caller, ThreadGroup target)
    {
        if (target == caller.ThreadGroup) return true;
        var c = caller.ThreadGroup.Creds;
        var tc = target.Creds;
        if (c.Uid == tc.Euid && c.Uid == tc.Suid && c.Uid == tc.Uid && c.Gid == tc.Egid && c.Gid == tc.Sgid && c.Gid == tc.Gid)
            return true;
        return Capabilities.Has(caller, Capabilities.SYS_RESOURCE);
    }

    /// <summary>
    /// RLIMIT_FSIZE for a write of count bytes at pos to a regular file: the count allowed (shortened
    /// to the limit), or -EFBIG with SIGXFSZ raised when pos is already at or past it.
    /// </summary>
    public static long CheckFileSize(Task t, long pos, long count)
    {
        ulong limit = Cur(t.ThreadGroup, FSIZE);
        if (limit == Infinity || count <= 0) return count;
        if ((ulong)pos >= limit)
        {
            t.SendSignalToSelf(Libc.SIGXFSZ);
            return -Errno.EFBIG;
        }
        return (long)Math.Min((ulong)count, limit - (ulong)pos);
    }

    /// <summary>RLIMIT_FSIZE for truncating (or extending) a regular file to size: 0 or -EFBIG with SIGXFSZ.</summary>
    public static int CheckTruncate(Task t, long size)
    {
        ulong limit = Cur(t.ThreadGroup, FSIZE);
        if (limit == Infinity || (ulong)size <= limit) return 0;
        t.SendSignalToSelf(Libc.SIGXFSZ);
        return -Errno.EFBIG;
    }

    /// <summary>RLIMIT_AS: whether the address space may grow by more bytes (0 or -ENOMEM).</summary>
    public static int CheckAddressSpace(Task t, ulong more)
    {
        ulong limit = Cur(t.ThreadGroup, AS);
        if (limit == Infinity) return 0;
        ulong now = t.Mm.VirtualBytes;
        return now + more > limit || now + more < now ? -Errno.ENOMEM : 0;
    }

    /// <summary>
    /// RLIMIT_NPROC at fork/clone: tasks of the caller's real uid in the sandbox must stay below it;
    /// uid 0 and holders of CAP_SYS_RESOURCE or CAP_SYS_ADMIN are exempt (copy_process). 0 or -EAGAIN.
    /// </summary>
    public static int CheckNproc(Task t)
    {
        var c = t.ThreadGroup.Creds;
        if (c.Uid == 0 || Capabilities.Has(t, Capabilities.SYS_RESOURCE) || Capabilities.Has(t, Capabilities.SYS_ADMIN)) return 0;
        ulong limit = Cur(t.ThreadGroup, NPROC);
        if (limit == Infinity) return 0;
        ulong n = 0;
        foreach (var g in t.Kernel.Pids.Groups())
        {
            if (g.Zombie || g.Creds.Uid != c.Uid) continue;
            n += (ulong)Math.Max(g.Tasks.Count, 1);
        }
        return n >= limit ? -Errno.EAGAIN : 0;
    }
}
