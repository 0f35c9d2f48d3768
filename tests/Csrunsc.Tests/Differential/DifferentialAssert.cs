using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>Comparisons between a runc run (the reference) and a csrunsc run of the same bundle.</summary>
public static class DifferentialAssert
{
    /// <summary>Runs <paramref name="args"/> under runc and csrunsc; stdout and exit status must match.</summary>
    public static (RunResult Runc, RunResult Csrunsc) SameStdoutAndExit(ContainerRunner runner, params string[] args) =>
        SameStdoutAndExitWith(runner, null, args);

    /// <summary>Like <see cref="SameStdoutAndExit"/>, with the same config.json edit for both runtimes.</summary>
    public static (RunResult Runc, RunResult Csrunsc) SameStdoutAndExitWith(ContainerRunner runner, Action<System.Text.Json.Nodes.JsonObject>? editConfig, params string[] args) =>
        SameStdoutAndExitOn(runner, ContainerRunner.Csrunsc, editConfig, args);

    /// <summary>Like <see cref="SameStdoutAndExitWith"/> for a given csrunsc runtime (<see cref="ContainerRunner.CsrunscKvm"/>: the KVM platform).</summary>
    public static (RunResult Runc, RunResult Csrunsc) SameStdoutAndExitOn(ContainerRunner runner, string csrunsc, Action<System.Text.Json.Nodes.JsonObject>? editConfig, params string[] args)
    {
        var reference = runner.RunUnder(ContainerRunner.Runc, args, editConfig: editConfig);
        Assert.False(reference.TimedOut, $"the reference run timed out:\n{reference}");
        var actual = runner.RunUnder(csrunsc, args, editConfig: editConfig);
        Assert.False(actual.TimedOut, $"csrunsc timed out (runc took {reference.Elapsed.TotalSeconds:F1}s):\n{actual}");
        Assert.True(
            reference.ExitCode == actual.ExitCode && reference.Stdout == actual.Stdout,
            $"csrunsc differs from runc for [{string.Join(' ', args)}]\n=== runc ===\n{reference}\n=== csrunsc ===\n{actual}");
        Assert.Empty(actual.LeftBehind);
        return (reference, actual);
    }

    /// <summary>A failed run must say why on exactly one stderr line.</summary>
    public static void FailsWithOneLine(RunResult result, int expectedExitCode, params string[] anyOfCauseWords)
    {
        Assert.False(result.TimedOut, $"timed out:\n{result}");
        Assert.True(result.ExitCode == expectedExitCode, $"expected exit {expectedExitCode}:\n{result}");
        var lines = result.StderrLines;
        Assert.True(lines.Length == 1, $"expected exactly one stderr line naming the cause, got {lines.Length}:\n{result}");
        Assert.True(
            anyOfCauseWords.Any(word => lines[0].Contains(word, StringComparison.OrdinalIgnoreCase)),
            $"stderr does not name the cause (expected one of: {string.Join(", ", anyOfCauseWords)}):\n{result}");
        Assert.True(result.LeftBehind.Count == 0, $"left behind after a failed run:\n{result}");
    }
}
