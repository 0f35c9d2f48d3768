namespace Csrunsc.Oci;

/// <summary>One hook: a host program, its argv and environment, and an optional timeout in seconds.</summary>
public sealed class OciHook
{
    public string Path { get; set; } = "";
    public List<string>? Args { get; set; }
    public List<string>? Env { get; set; }
    public int? Timeout { get; set; }
}
