using System.Text.Json.Serialization;

namespace Csrunsc.Oci;

/// <summary>config.json <c>root</c>: the rootfs path (relative to the bundle or absolute).</summary>
public sealed class OciRoot
{
    public string Path { get; set; } = "";

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Readonly { get; set; }
}
