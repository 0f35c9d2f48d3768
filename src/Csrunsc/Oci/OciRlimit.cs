namespace Csrunsc.Oci;

/// <summary>One entry of config.json <c>process.rlimits</c>, e.g. RLIMIT_NOFILE.</summary>
public sealed class OciRlimit
{
    public string Type { get; set; } = "";
    public ulong Hard { get; set; }
    public ulong Soft { get; set; }
}
