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

    /// <summary>The container's init (loaded at create, held until start).</summary>
    public Task? InitTask { get; set; }

    /// <summary>Cleared while this container is paused: its tasks stop before re-entering guest code.</summary>
    public readonly ManualResetEventSlim Thawed = new(true);
}
