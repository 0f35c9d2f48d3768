namespace Csrunsc.Oci;

/// <summary>config.json <c>process.consoleSize</c>: the initial terminal size.</summary>
public sealed class OciConsoleSize
{
    public uint Height { get; set; }
    public uint Width { get; set; }
}
