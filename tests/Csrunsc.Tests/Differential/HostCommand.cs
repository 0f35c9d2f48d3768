using System.Diagnostics;

namespace Csrunsc.Tests.Differential;

/// <summary>Runs a host command to completion (for setup: scripts, gcc, cp) and throws on failure.</summary>
public static class HostCommand
{
    public static string Run(string fileName, params string[] arguments) =>
        Run(TimeSpan.FromMinutes(2), fileName, arguments);

    public static string Run(TimeSpan timeout, string fileName, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"cannot start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish in {timeout.TotalSeconds}s");
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{fileName} {string.Join(' ', arguments)} failed with exit {process.ExitCode}: {stderr.Result}{stdout.Result}");
        }

        return stdout.Result;
    }

    /// <summary>True when <paramref name="program"/> is an executable on $PATH.</summary>
    public static bool IsOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Join(dir, program)));
}
