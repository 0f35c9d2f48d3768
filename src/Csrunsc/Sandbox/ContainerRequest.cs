using System.Text.Json.Serialization;
using Csrunsc.Oci;

namespace Csrunsc.Sandbox;

/// <summary>
/// What `create` of a pod's later container sends the pod's running sandbox (the control socket's
/// "create" request): the container's config.json and what only the host side can compute (the
/// Sentry is chrooted into an empty directory and cannot look at the host's /proc or the bundle).
/// </summary>
public sealed class ContainerRequest
{
    public string Id { get; set; } = "";
    public string Bundle { get; set; } = "";
    public OciSpec? Spec { get; set; }

    /// <summary>For each of linux.maskedPaths in order, what it is on the host ('d', 'f', '-', '?'), as <see cref="SandboxConfig"/> computes it.</summary>
    public string MaskedKinds { get; set; } = "";

    /// <summary>The namespace identities its processes see (its own mnt; the pod's pid, ipc, uts, net).</summary>
    public Dictionary<string, ulong> Namespaces { get; set; } = new();

    /// <summary>Its terminal is proxied by the runtime itself (foreground `run` without a console socket): ONLCR cleared, as runc.</summary>
    public bool ClearOnlcr { get; set; }

    /// <summary>Its cgroup views (their directory fds follow the stdio fds, in this order) and its /proc/PID/cgroup text.</summary>
    public List<CgroupViewSpec> Cgroups { get; set; } = [];
    public string ProcCgroup { get; set; } = "0::/\n";
}

/// <summary>One of a member's cgroup views, as <see cref="Sentry.Fs.Cgroup.HostCgroupView"/> describes it.</summary>
public sealed class CgroupViewSpec
{
    public string Name { get; set; } = "";
    public string Controllers { get; set; } = "";
    public string Path { get; set; } = "";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ContainerRequest))]
internal sealed partial class ContainerRequestJsonContext : JsonSerializerContext;
