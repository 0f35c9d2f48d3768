namespace Csrunsc.Tests.Differential;

/// <summary>What one `RUNTIME run` call did.</summary>
public sealed record RunResult(
    string Runtime,
    string ContainerId,
    int ExitCode,
    string Stdout,
    string Stderr,
    bool TimedOut,
    TimeSpan Elapsed)
{
    /// <summary>What the runtime left after `run` returned: state directories, processes naming the container.</summary>
    public IReadOnlyList<string> LeftBehind { get; init; } = [];

    /// <summary>stderr without trailing blank lines, split into lines.</summary>
    public string[] StderrLines
    {
        get
        {
            var trimmed = Stderr.Replace("\r", "").TrimEnd('\n');
            return trimmed.Length == 0 ? [] : trimmed.Split('\n');
        }
    }

    public override string ToString() =>
        $"{Runtime} (container {ContainerId}): exit {ExitCode}{(TimedOut ? " TIMED OUT" : "")} after {Elapsed.TotalSeconds:F1}s\n" +
        (LeftBehind.Count > 0 ? $"left behind: {string.Join("; ", LeftBehind)}\n" : "") +
        $"--- stdout ---\n{Truncate(Stdout)}\n--- stderr ---\n{Truncate(Stderr)}";

    private static string Truncate(string text) => text.Length <= 4000 ? text : text[..4000] + $"\n... ({text.Length} chars)";
}
