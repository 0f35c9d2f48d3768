using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Csrunsc.Oci;

/// <summary>
/// Source-generated (reflection-free, NativeAOT-safe) JSON metadata for the OCI model:
/// camelCase names as in the spec, nulls omitted when writing.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = JsonCommentHandling.Disallow,
    AllowTrailingCommas = false)]
[JsonSerializable(typeof(OciSpec))]
[JsonSerializable(typeof(OciProcess))]
public sealed partial class OciSpecJsonContext : JsonSerializerContext
{
    /// <summary>
    /// Options for writing config.json the way runc does (Go's json.MarshalIndent with a tab):
    /// tab indentation and no escaping of characters such as '+' that need none.
    /// </summary>
    public static OciSpecJsonContext RuncStyle { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        IndentCharacter = '\t',
        IndentSize = 1,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
