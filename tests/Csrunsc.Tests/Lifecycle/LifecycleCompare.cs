using Xunit;

namespace Csrunsc.Tests.Lifecycle;

/// <summary>
/// Runs one scenario under runc and then csrunsc, each in its own <see cref="LifecycleSession"/>,
/// as a list of observation lines ("step: what was seen"). runc's lines must be the expected ones
/// (the test proves itself against the reference runtime) before csrunsc's are compared.
/// </summary>
public static class LifecycleCompare
{
    public const string NothingLeft = "left behind: nothing";

    /// <summary>
    /// Observes <paramref name="scenario"/> under both runtimes. csrunsc must produce
    /// <paramref name="expectedCsrunsc"/> (default: the same lines as runc); the differences a
    /// caller passes there are the documented, intentional ones.
    /// </summary>
    public static void Scenario(
        LifecycleFixture fixture,
        Action<LifecycleSession, List<string>> scenario,
        string[] expectedRunc,
        string[]? expectedCsrunsc = null)
    {
        var (runcLines, runcTranscript) = Observe(fixture, LifecycleSession.Runc, scenario);
        AssertLines(LifecycleSession.Runc, [.. expectedRunc, NothingLeft], runcLines, runcTranscript,
            "the reference runtime did not behave as this test expects: the test itself is wrong (or runc changed)");

        var (csLines, csTranscript) = Observe(fixture, LifecycleSession.Csrunsc, scenario);
        AssertLines(LifecycleSession.Csrunsc, [.. expectedCsrunsc ?? expectedRunc, NothingLeft], csLines, csTranscript,
            "csrunsc differs from runc" + (expectedCsrunsc is null ? "" : " beyond the documented differences"),
            runcLines);
    }

    private static (List<string> Lines, string Transcript) Observe(
        LifecycleFixture fixture, string runtime, Action<LifecycleSession, List<string>> scenario)
    {
        using var session = new LifecycleSession(fixture, runtime);
        var lines = new List<string>();
        try
        {
            scenario(session, lines);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            lines.Add($"exception: {e.GetType().Name}: {e.Message}");
        }

        var leftovers = session.CleanUpAndListLeftovers();
        lines.Add(leftovers.Count == 0 ? NothingLeft : "left behind: " + string.Join("; ", leftovers));
        return (lines, session.Transcript);
    }

    private static void AssertLines(
        string runtime, string[] expected, List<string> actual, string transcript, string what, List<string>? reference = null)
    {
        if (expected.SequenceEqual(actual))
        {
            return;
        }

        var width = Math.Max(expected.Length, actual.Count);
        var table = new System.Text.StringBuilder();
        for (var i = 0; i < width; i++)
        {
            var e = i < expected.Length ? expected[i] : "(none)";
            var a = i < actual.Count ? actual[i] : "(none)";
            table.AppendLine($"{(e == a ? "  " : "≠ ")}{i,2}  expected: {e}");
            if (e != a)
            {
                table.AppendLine($"        {runtime,8}: {a}");
            }
        }

        var runcPart = reference is null ? "" : $"\n=== runc observed ===\n{string.Join('\n', reference)}\n";
        Assert.Fail($"{what}\n=== {runtime}: expected vs observed ===\n{table}{runcPart}\n=== {runtime} transcript ===\n{transcript}");
    }

    /// <summary>A value for an observation line: newlines shown as \n so one line stays one line.</summary>
    public static string Text(string value) => value.Replace("\r", "").Replace("\n", "\\n");
}
