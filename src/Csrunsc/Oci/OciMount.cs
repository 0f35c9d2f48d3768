namespace Csrunsc.Oci;

/// <summary>One entry of config.json <c>mounts</c>.</summary>
public sealed class OciMount
{
    public string Destination { get; set; } = "";
    public string? Type { get; set; }
    public string? Source { get; set; }
    public List<string>? Options { get; set; }
}
