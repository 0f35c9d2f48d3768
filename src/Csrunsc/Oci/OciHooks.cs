namespace Csrunsc.Oci;

/// <summary>config.json <c>hooks</c>: host programs run at points of the container lifecycle.</summary>
public sealed class OciHooks
{
    public List<OciHook>? Prestart { get; set; }
    public List<OciHook>? CreateRuntime { get; set; }
    public List<OciHook>? CreateContainer { get; set; }
    public List<OciHook>? StartContainer { get; set; }
    public List<OciHook>? Poststart { get; set; }
    public List<OciHook>? Poststop { get; set; }
}
