namespace Csrunsc.Oci;

/// <summary>
/// One entry of config.json <c>linux.namespaces</c>: <c>type</c> is pid, network, ipc, uts,
/// mount, user or cgroup; <c>path</c>, when set, names an existing namespace to join.
/// </summary>
public sealed class OciNamespace
{
    public string Type { get; set; } = "";
    public string? Path { get; set; }
}
