using System.Text.Json;
using Csrunsc.Oci;
using Xunit;

namespace Csrunsc.Tests.Oci;

/// <summary>
/// The config.json field table (src/Csrunsc/Oci/ConfigFields.cs) is what tests/README.md shows, and
/// each refusal it declares refuses its own example. Lifecycle/ConfigFieldRefusalTests.cs runs the
/// examples through `create` under both runtimes.
/// </summary>
public sealed class ConfigFieldTableTests
{
    private const string Begin = "<!-- config-fields:begin (generated from ConfigFields.Markdown(); ConfigFieldTableTests checks it) -->\n";
    private const string End = "<!-- config-fields:end -->";

    [Fact]
    public void ReadmeShowsTheCodesTable()
    {
        string readme = File.ReadAllText(Path.Join(Differential.RepositoryLayout.Root, "tests", "README.md"));
        int at = readme.IndexOf(Begin, StringComparison.Ordinal), end = readme.IndexOf(End, StringComparison.Ordinal);
        Assert.True(at >= 0 && end > at, $"tests/README.md lacks the config-fields markers; put this between them:\n{Begin}{ConfigFields.Markdown()}{End}");
        string shown = readme[(at + Begin.Length)..end];
        Assert.True(shown == ConfigFields.Markdown(), $"tests/README.md's config-field table is stale; replace it with the output of `out/csrunsc features --config-fields`:\n{ConfigFields.Markdown()}");
    }

    [Fact]
    public void EveryRefusalRefusesItsExampleAndNothingByDefault()
    {
        // `runc spec`'s config sets no refused field.
        using (var spec = JsonDocument.Parse(OciSpec.Default().ToRuncJson()))
            Assert.Null(ConfigFields.CheckRefused(spec.RootElement));
        foreach (var f in ConfigFields.All.Where(f => f.Refuse is not null && !(f.Path == "process.apparmorProfile" && ConfigFields.AppArmorEnabled())))
        {
            Assert.True(f.Example is not null, $"{f.Path}: a refusal needs an example value");
            using var doc = JsonDocument.Parse(f.Example!);
            Assert.True(f.Refuse!(doc.RootElement) is { Length: > 0 }, $"{f.Path}: its example {f.Example} is not refused");
        }
        Assert.All(ConfigFields.All.Where(f => f.Status == FieldStatus.Refused), f => Assert.NotNull(f.Example));
        Assert.Equal(ConfigFields.All.Length, ConfigFields.All.Select(f => f.Path).Distinct().Count());
    }

    [Fact]
    public void RefusalsSeeFieldsInsideArrays()
    {
        using var doc = JsonDocument.Parse("""{"mounts":[{"destination":"/a"},{"destination":"/b","uidMappings":[{"containerID":0,"hostID":1,"size":1}]}]}""");
        Assert.Contains("idmapped", ConfigFields.CheckRefused(doc.RootElement));
        using var ok = JsonDocument.Parse("""{"linux":{"rootfsPropagation":"rslave","personality":{"domain":"LINUX"}},"process":{"selinuxLabel":""}}""");
        Assert.Null(ConfigFields.CheckRefused(ok.RootElement));
    }
}
