using Csrunsc.Gofer;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// One container of the sandbox. A sandbox starts with one (its own config.json: the pod's sandbox
/// container); a pod's later containers are added to it (gVisor's multi-container sandbox). Each
/// has its own mount namespace (root and mounts, served by its own gofer), its own init and its own
/// freezer state; the kernel's pid, IPC, UTS and network state is the pod's. Every process
/// belongs to the container of the process that forked it.
/// </summary>
public sealed class Container(string id, MountTable mounts, NamespaceIds namespaces, GoferClient? gofer)
{
    public string Id { get; } = id;
    public MountTable Mounts { get; } = mounts;

    /// <summary>What /proc/PID/ns shows for this container's processes.</summary>
    public NamespaceIds Namespaces { get; } = namespaces;

    /// <summary>The gofer connection serving this container's root and bind mounts (null in unit tests).</summary>
    public GoferClient? Gofer { get; } = gofer;

    /// <summary>The user namespace its processes are in: the id maps the gofer boundary translates by, and /proc/PID/uid_map.</summary>
    public UserNamespaceMap Users { get; set; } = UserNamespaceMap.Initial;

    /// <summary>linux.resources.devices: which device nodes its processes may open and make.</summary>
    public DeviceCgroup Devices { get; set; } = DeviceCgroup.AllowAll;

    /// <summary>What its processes' /proc/PID/cgroup shows: its host cgroups as runc's container sees them (relative under a cgroup namespace).</summary>
    public string ProcCgroup { get; set; } = "0::/\n";

    /// <summary>The container's init (loaded at create, held until start).</summary>
    public Task? InitTask { get; set; }

    /// <summary>Cleared while this container is paused: its tasks stop before re-entering guest code.</summary>
    public readonly ManualResetEventSlim Thawed = new(true);

    /// <summary>Write ends of the container's cgroup.procs files (one per v1 controller), given by the runtime; empty: none.</summary>
    private int[] _cgroupProcs = [];

    /// <summary>
    /// The container's own cgroups for accounting and limits: from now on each stub process of its
    /// guest processes (their host side: guest code runs there, and memory it faults is charged
    /// there) is moved into them, and so are those already running (hostPids). Takes the fds.
    /// </summary>
    public void SetCgroups(int[] cgroupProcs, IEnumerable<int> hostPids)
    {
        var old = Interlocked.Exchange(ref _cgroupProcs, cgroupProcs);
        foreach (int fd in old) Native.Libc.Close(fd);
        foreach (int pid in hostPids) Adopt(pid);
    }

    /// <summary>Moves a new stub process of this container's into its cgroups (no-op without them). Errors are ignored: accounting only.</summary>
    public unsafe void Adopt(int hostPid)
    {
        var fds = Volatile.Read(ref _cgroupProcs);
        if (fds.Length == 0 || hostPid <= 0) return;
        byte* buf = stackalloc byte[12];
        int len = 0;
        for (int v = hostPid; v > 0; v /= 10) len++;
        for (int i = len - 1, v = hostPid; i >= 0; i--, v /= 10) buf[i] = (byte)('0' + v % 10);
        foreach (int fd in fds) Native.Libc.Write(fd, buf, len);
    }

    /// <summary>Drops the cgroup fds (the container is gone).</summary>
    public void CloseCgroups() => SetCgroups([], []);
}
