using Csrunsc.Tests.Differential;
using Xunit;

namespace Csrunsc.Tests.Workloads;

/// <summary>Runs a Debian workload under runc and under csrunsc: stdout and exit status must match.</summary>
public static class WorkloadAssert
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static (RunResult Runc, RunResult Csrunsc) SameStdoutAndExit(
        DifferentialFixture fixture, IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? files = null,
        Action<System.Text.Json.Nodes.JsonObject>? editConfig = null)
    {
        var reference = Run(fixture, ContainerRunner.Runc, args, files, editConfig);
        Assert.False(reference.TimedOut, $"the reference run timed out:\n{reference}");
        var actual = Run(fixture, ContainerRunner.Csrunsc, args, files, editConfig);
        Assert.False(actual.TimedOut, $"csrunsc timed out (runc took {reference.Elapsed.TotalSeconds:F1}s):\n{actual}");
        Assert.True(
            reference.ExitCode == actual.ExitCode && reference.Stdout == actual.Stdout,
            $"csrunsc differs from runc for [{string.Join(' ', args)}]\n=== runc ===\n{reference}\n=== csrunsc ===\n{actual}");
        Assert.Empty(actual.LeftBehind);
        return (reference, actual);
    }

    /// <summary>bash -c SCRIPT in both runtimes.</summary>
    public static (RunResult Runc, RunResult Csrunsc) SameBashOutput(DifferentialFixture fixture, string script,
        Action<System.Text.Json.Nodes.JsonObject>? editConfig = null) =>
        SameStdoutAndExit(fixture, ["bash", "-c", script], editConfig: editConfig);

    private static RunResult Run(DifferentialFixture fixture, string runtime, IReadOnlyList<string> args,
        IReadOnlyDictionary<string, string>? files, Action<System.Text.Json.Nodes.JsonObject>? editConfig)
    {
        var id = fixture.Runner.NewContainerId(runtime);
        var bundle = DebianBundle.Create(fixture, id, args, files, editConfig);
        return fixture.Runner.RunBundle(runtime, bundle, id, Timeout);
    }
}
