using Csrunsc.Native;

namespace Csrunsc.Sandbox;

/// <summary>
/// cgroup v1's OOM notification, as runc's events uses it: an eventfd registered through
/// cgroup.event_control on memory.oom_control, signalled at each OOM of the cgroup (and once when
/// the cgroup goes away). A notification comes before the kill counter moves, and a kill that ends
/// the container can take its cgroup away before the next poll of that counter, so, as runc does,
/// each notification while the cgroup still exists is one OOM. A v2 host has no event_control:
/// there events polls memory.events' oom_kill instead (<see cref="CgroupStats"/>), every 100 ms.
/// </summary>
public sealed unsafe class OomNotifier : IDisposable
{
    private int eventFd = -1;
    private string dir = "";

    /// <summary>Registers on the memory cgroup among <paramref name="dirs"/>; null without one or when the host refuses.</summary>
    public static OomNotifier? Register(IEnumerable<string> dirs)
    {
        if (Cgroups.Unified) return null;
        var dir = dirs.FirstOrDefault(d => d.Split('/').Length > 4 && d.Split('/')[4] == "memory");
        if (dir is null) return null;
        int efd = Libc.EventFd(0, Libc.O_CLOEXEC | Libc.O_NONBLOCK);
        if (efd < 0) return null;
        int ofd = Libc.OpenPath(Path.Combine(dir, "memory.oom_control"), Libc.O_RDONLY | Libc.O_CLOEXEC);
        int cfd = ofd < 0 ? -1 : Libc.OpenPath(Path.Combine(dir, "cgroup.event_control"), Libc.O_WRONLY | Libc.O_CLOEXEC);
        bool ok = cfd >= 0 && Libc.WriteAll(cfd, System.Text.Encoding.ASCII.GetBytes($"{efd} {ofd}"));
        if (cfd >= 0) Libc.Close(cfd);
        if (ofd >= 0) Libc.Close(ofd); // the registration holds its own reference
        if (!ok)
        {
            Libc.Close(efd);
            return null;
        }
        return new OomNotifier { eventFd = efd, dir = dir };
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/>; the number of OOMs notified meanwhile. The cgroup's
    /// removal is one notification too: when the cgroup is gone, the count holds it.
    /// </summary>
    public int WaitForOoms(int timeoutMs)
    {
        var pfd = new PollFd { Fd = eventFd, Events = Libc.POLLIN };
        if (Libc.Poll(&pfd, 1, timeoutMs) <= 0) return 0;
        ulong count;
        if (Libc.Read(eventFd, (byte*)&count, sizeof(ulong)) != sizeof(ulong)) return 0;
        if (!File.Exists(Path.Combine(dir, "cgroup.event_control"))) count--;
        return (int)Math.Min(count, int.MaxValue);
    }

    public void Dispose()
    {
        if (eventFd >= 0) Libc.Close(eventFd);
        eventFd = -1;
    }
}
