using System.Text.Json;
using System.Text.Json.Serialization;

namespace Csrunsc.Oci;

/// <summary>
/// config.json <c>linux</c>. <see cref="Resources"/> and <see cref="Seccomp"/> are kept as raw
/// JSON: their consumers (cgroups, the in-Sentry seccomp filter) parse what they need.
/// </summary>
public sealed class OciLinux
{
    public List<OciIdMapping>? UidMappings { get; set; }
    public List<OciIdMapping>? GidMappings { get; set; }
    public Dictionary<string, string>? Sysctl { get; set; }
    public JsonElement? Resources { get; set; }
    public string? CgroupsPath { get; set; }
    public List<OciNamespace>? Namespaces { get; set; }
    public JsonElement? Devices { get; set; }
    public JsonElement? Seccomp { get; set; }
    public string? RootfsPropagation { get; set; }
    public List<string>? MaskedPaths { get; set; }
    public List<string>? ReadonlyPaths { get; set; }
    public string? MountLabel { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}
