using Csrunsc.Oci;
using Csrunsc.State;

namespace Csrunsc.Sandbox;

/// <summary>
/// Whether a new container joins the Sentry of its pod's sandbox (one sandbox per pod, as runsc):
/// its config.json says it is a pod's app container (containerd's CRI plugin:
/// io.kubernetes.cri.container-type=container with io.kubernetes.cri.sandbox-id; CRI-O and podman:
/// io.kubernetes.cri-o.ContainerType / io.kubernetes.cri-o.SandboxID), the pod's sandbox container
/// is a live csrunsc sandbox under the same --root, and the container shares that sandbox's pid,
/// IPC, UTS and network namespaces — the kernel state one Sentry holds for all its containers.
/// A container with a pid namespace of its own still gets a Sentry of its own (a pid namespace per
/// container inside one Sentry is not built yet), as does one without the annotations.
/// </summary>
public static class PodMembership
{
    private static readonly (string Type, string SandboxId)[] Keys =
    [
        ("io.kubernetes.cri.container-type", "io.kubernetes.cri.sandbox-id"),
        ("io.kubernetes.cri-o.ContainerType", "io.kubernetes.cri-o.SandboxID"),
    ];

    /// <summary>The kernel state a member shares with its sandbox, as namespace types of /proc/PID/ns.</summary>
    public static readonly string[] SharedNamespaces = ["pid", "ipc", "uts", "net"];

    /// <summary>The pod's sandbox id the annotations name for an app container; null for a sandbox or a plain container.</summary>
    public static string? SandboxIdOf(OciSpec spec)
    {
        var ann = spec.Annotations;
        if (ann is null) return null;
        foreach (var (typeKey, idKey) in Keys)
            if (ann.TryGetValue(typeKey, out string? type) && type == "container" && ann.TryGetValue(idKey, out string? sid) && !string.IsNullOrEmpty(sid))
                return sid;
        return null;
    }

    /// <summary>
    /// The live sandbox container state the new container joins, or null (then it gets its own
    /// Sentry; reason says why when it was a pod member that could not join).
    /// </summary>
    public static ContainerState? SandboxFor(OciSpec spec, StateStore store, IReadOnlyDictionary<string, ulong> namespaces, out string? reason)
    {
        reason = null;
        string? sid = SandboxIdOf(spec);
        if (sid is null) return null;
        var sandbox = Find(store, sid);
        if (sandbox is null)
        {
            reason = $"the pod's sandbox {sid} is not a csrunsc container under this root";
            return null;
        }
        if (sandbox.Sandbox is not null || StateStore.CurrentStatus(sandbox) == "stopped")
        {
            reason = $"the pod's sandbox {sandbox.Id} is not a running sandbox";
            return null;
        }
        foreach (var t in SharedNamespaces)
        {
            // Joined through the sandbox process's own /proc/PID/ns link (as CRI and podman name them),
            // or the same identity reached another way (the pod's network namespace file).
            var entry = spec.Linux?.Namespaces?.FirstOrDefault(n => OciType(n.Type) == t);
            bool viaSandbox = entry?.Path == $"/proc/{sandbox.Pid}/ns/{t}";
            bool same = namespaces.TryGetValue(t, out ulong mine) && sandbox.Namespaces.TryGetValue(t, out ulong theirs) && mine == theirs;
            if ((entry is not null && string.IsNullOrEmpty(entry.Path)) || !(viaSandbox || same))
            {
                reason = $"it does not share the sandbox's {t} namespace";
                return null;
            }
        }
        return sandbox;
    }

    private static string? OciType(string? type) => type == "network" ? "net" : type;

    /// <summary>The sandbox container by id, or (podman: the pod's id is not its infra container's) the one whose annotations name it its pod's sandbox.</summary>
    private static ContainerState? Find(StateStore store, string sid)
    {
        if (StateStore.ValidId(sid) && store.Exists(sid) && store.Load(sid) is { } direct) return direct;
        foreach (var id in store.Ids())
        {
            var s = store.Load(id);
            if (s?.Annotations is not { } ann) continue;
            foreach (var (typeKey, idKey) in Keys)
                if (ann.GetValueOrDefault(typeKey) == "sandbox" && ann.GetValueOrDefault(idKey) == sid) return s;
        }
        return null;
    }
}
