using System.Text.Json.Nodes;
using Csrunsc.Tests.Differential;
using Xunit;

namespace Csrunsc.Tests.Lifecycle;

/// <summary>
/// The lifecycle tests drive runc and csrunsc through the same CLI steps one at a time (they
/// look at host processes and state directories, and time matters for csrunsc's sandboxes).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LifecycleCollection : ICollectionFixture<LifecycleFixture>
{
    public const string Name = "Lifecycle (runc vs csrunsc, CLI)";
}

/// <summary>
/// Built once per test run: a scratch directory and a template bundle from
/// tests/assets/make-bundle.sh (busybox rootfs, `runc spec` config with terminal=false). Every
/// container gets a `cp -a` copy of the rootfs and the template config with its own args.
/// </summary>
public sealed class LifecycleFixture : IDisposable
{
    private readonly Lazy<string> _template;
    private int _counter;

    public LifecycleFixture()
    {
        ScratchDir = Directory.CreateTempSubdirectory("csrunsc-lifecycle-").FullName;
        _template = new Lazy<string>(BuildTemplate, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string ScratchDir { get; }

    /// <summary>The template bundle directory (rootfs + config.json).</summary>
    public string TemplateBundle => _template.Value;

    public int Next() => Interlocked.Increment(ref _counter);

    /// <summary>The template's config.json with process.args replaced.</summary>
    public JsonObject ConfigFor(IReadOnlyList<string> args)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Join(TemplateBundle, "config.json")))!.AsObject();
        config["process"]!["args"] = new JsonArray(args.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray());
        return config;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(ScratchDir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Something still mounted or busy: leave it for inspection.
        }
    }

    private string BuildTemplate()
    {
        if (!HostCommand.IsOnPath("runc"))
        {
            throw new InvalidOperationException("runc is not installed; run ./test.sh (it installs runc busybox-static)");
        }

        var bundle = Path.Join(ScratchDir, "template");
        HostCommand.Run("bash", Path.Join(RepositoryLayout.AssetsDir, "make-bundle.sh"), bundle, "true");
        return bundle;
    }
}
