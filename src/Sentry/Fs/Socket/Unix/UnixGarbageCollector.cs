using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs.Socket.Unix;

/// <summary>
/// Collects AF_UNIX sockets that are only kept alive by themselves: a socket passed (SCM_RIGHTS)
/// into its own queue, or a ring of sockets passed into each other's queues, after every
/// descriptor of them was closed. This is Linux's classic unix_gc: sockets whose every reference
/// is in flight are candidates; references from candidates' queues are subtracted; whatever still
/// has references left — and everything reachable from it — is live; the rest is garbage, and
/// dropping what its queues hold breaks the cycle.
///
/// It runs, as in Linux, when a unix socket is released while anything is in flight. A cycle whose
/// last descriptor is closed while no unix socket is ever released afterwards stays until the next
/// release (Linux also collects from sendmsg past 16000 in-flight descriptors; not done here).
/// </summary>
internal static class UnixGarbageCollector
{
    private static readonly object s_lock = new();
    private static readonly HashSet<UnixSocket> s_inflight = new(ReferenceEqualityComparer.Instance);
    private static long s_total;

    [ThreadStatic] private static bool t_collecting;

    public static bool Pending => Interlocked.Read(ref s_total) > 0;

    /// <summary>The rights of a message about to be queued: the unix sockets among them are now in flight.</summary>
    public static void Queued(FileDescription[] rights)
    {
        foreach (var f in rights)
        {
            if (f is not UnixSocket u) continue;
            lock (s_lock)
            {
                if (u.Inflight++ == 0) s_inflight.Add(u);
                s_total++;
            }
        }
    }

    /// <summary>The rights of a message were received or dropped: no longer in flight.</summary>
    public static void Dequeued(FileDescription[] rights)
    {
        foreach (var f in rights)
        {
            if (f is not UnixSocket u) continue;
            lock (s_lock)
            {
                if (--u.Inflight == 0) s_inflight.Remove(u);
                s_total--;
            }
        }
    }

    public static void Collect()
    {
        if (t_collecting) return;
        var hitlist = new List<FileDescription[]>();
        t_collecting = true;
        try
        {
            lock (s_lock)
            {
                var candidates = new List<UnixSocket>();
                foreach (var s in s_inflight)
                {
                    // Every reference is one of its in-flight ones: no descriptor, no call in progress.
                    if (s.ReferenceCount != s.Inflight) continue;
                    s.GcCandidate = true;
                    s.GcRefs = s.Inflight;
                    candidates.Add(s);
                }
                if (candidates.Count == 0) return;
                foreach (var c in candidates)
                {
                    c.ForEachInflight(static u =>
                    {
                        if (u.GcCandidate) u.GcRefs--;
                    });
                }
                var live = new Stack<UnixSocket>();
                foreach (var c in candidates)
                {
                    if (c.GcRefs <= 0) continue;
                    c.GcAlive = true;
                    live.Push(c);
                }
                while (live.Count > 0)
                {
                    live.Pop().ForEachInflight(u =>
                    {
                        if (!u.GcCandidate || u.GcAlive) return;
                        u.GcAlive = true;
                        live.Push(u);
                    });
                }
                foreach (var c in candidates)
                {
                    if (!c.GcAlive) c.TakeInflight(hitlist);
                }
                foreach (var c in candidates)
                {
                    c.GcCandidate = c.GcAlive = false;
                    c.GcRefs = 0;
                }
                foreach (var rights in hitlist) Dequeued(rights);
            }
            // Closing the garbage's passed descriptions releases the garbage itself.
            foreach (var rights in hitlist)
            {
                foreach (var f in rights) f.DecRef();
            }
        }
        finally
        {
            t_collecting = false;
        }
    }
}
