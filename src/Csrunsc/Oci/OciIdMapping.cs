using System.Text.Json.Serialization;

namespace Csrunsc.Oci;

/// <summary>One entry of config.json <c>linux.uidMappings</c> / <c>linux.gidMappings</c>.</summary>
public sealed class OciIdMapping
{
    [JsonPropertyName("containerID")]
    public uint ContainerId { get; set; }

    [JsonPropertyName("hostID")]
    public uint HostId { get; set; }

    public uint Size { get; set; }
}
