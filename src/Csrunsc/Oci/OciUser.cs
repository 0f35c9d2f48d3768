namespace Csrunsc.Oci;

/// <summary>config.json <c>process.user</c>: the credentials the process runs with.</summary>
public sealed class OciUser
{
    public uint Uid { get; set; }
    public uint Gid { get; set; }
    public uint? Umask { get; set; }
    public List<uint>? AdditionalGids { get; set; }
    public string? Username { get; set; }
}
