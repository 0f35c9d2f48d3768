using System.Diagnostics;

namespace Csrunsc.Tests.Integration;

/// <summary>What one host command did (see <see cref="Shell.Run"/>).</summary>
public sealed record CommandResult(string Command, int ExitCode, string Stdout, string Stderr, bool TimedOut, TimeSpan Elapsed)
{
    public bool Succeeded => !TimedOut && ExitCode == 0;

    public override string ToString() =>
        $"$ {Command}\n  -> {(TimedOut ? "TIMED OUT (killed)" : $"exit {ExitCode}")} after {Elapsed.TotalSeconds:F1}s\n" +
        $"  --- stdout ---\n{Indent(Stdout)}\n  --- stderr ---\n{Indent(Stderr)}";

    private static string Indent(string text)
    {
        if (text.Length > 6000)
        {
            text = text[..6000] + $"\n... ({text.Length} chars)";
        }

        return string.Join('\n', text.TrimEnd('\n').Split('\n').Select(line => "  " + line));
    }
}

/// <summary>
/// Runs host commands for the integration tests: stdin closed, stdout/stderr captured, a hard
/// timeout after which the command's whole process tree is killed (nothing may hang the suite).
/// </summary>
public static class Shell
{
    private static readonly TimeSpan PipeDrainGrace = TimeSpan.FromSeconds(2);

    public static CommandResult Run(TimeSpan timeout, string fileName, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var args = arguments.ToList();
        var command = string.Join(' ', new[] { fileName }.Concat(args).Select(Quote));
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "/",
        };
        foreach (var argument in args)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        var clock = Stopwatch.StartNew();
        Process process;
        try
        {
            process = Process.Start(startInfo) ?? throw new InvalidOperationException($"cannot start {fileName}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new CommandResult(command, 127, "", $"cannot start {fileName}: {e.Message}", false, clock.Elapsed);
        }

        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            var timedOut = !process.WaitForExit(timeout);
            if (timedOut)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(5000);
                }
                catch (InvalidOperationException)
                {
                }
            }

            var elapsed = clock.Elapsed;
            // A daemonised grandchild may keep the pipes open; don't wait for it.
            var outText = stdout.Wait(PipeDrainGrace) ? stdout.Result : "(stdout still held open by another process)";
            var errText = stderr.Wait(PipeDrainGrace) ? stderr.Result : "(stderr still held open by another process)";
            return new CommandResult(command, timedOut ? -1 : process.ExitCode, outText, errText, timedOut, elapsed);
        }
    }

    /// <summary>Shell-quotes <paramref name="word"/> when it needs it (for messages and `script -c`).</summary>
    public static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,+@%".Contains(c))
            ? word
            : "'" + word.Replace("'", "'\\''") + "'";

    /// <summary>The full path of <paramref name="program"/> on $PATH (plus the sbin directories), or null.</summary>
    public static string? Which(string program)
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "") + ":/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Join(dir, program))
            .FirstOrDefault(File.Exists);
    }
}
