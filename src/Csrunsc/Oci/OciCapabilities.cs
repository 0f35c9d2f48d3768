namespace Csrunsc.Oci;

/// <summary>config.json <c>process.capabilities</c>, kept as the raw capability-name lists.</summary>
public sealed class OciCapabilities
{
    public List<string>? Bounding { get; set; }
    public List<string>? Effective { get; set; }
    public List<string>? Inheritable { get; set; }
    public List<string>? Permitted { get; set; }
    public List<string>? Ambient { get; set; }
}
