using Csrunsc.Tests.Integration.Cri.V1;
using Xunit;

namespace Csrunsc.Tests.Integration.Cri;

/// <summary>
/// CRI Exec and Attach through containerd's streaming server (what `kubectl exec -it` and
/// `kubectl attach -it` do), with input typed late: the process prints that it waits, and the
/// line arrives 1.5 s later — 10 runs out of 10 each. Also a window resize over the stream reaching
/// the process (`stty size`). runc is the oracle: both runtimes must pass the same assertions.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class CriStreamingTests(IntegrationFixture fixture)
{
    private const int Runs = 10;
    private static readonly TimeSpan TypingDelay = TimeSpan.FromSeconds(1.5);
    private static readonly TimeSpan StreamTimeout = TimeSpan.FromSeconds(15);

    [CriTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public async Task ExecWithTtyAndLateStdinTenOutOfTen(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var cri = new CriSession(session, fixture.Cri);
        var pod = cri.RunPod("exectty");
        var app = cri.RunContainer(pod, CriSession.NewContainerConfig("app", "sleep", "1000"));
        cri.WaitForState(app, ContainerState.ContainerRunning);

        var failures = new List<string>();
        for (var run = 1; run <= Runs; run++)
        {
            // The shell says it waits; the line comes 1.5 s later, ended by CR as a terminal sends it
            // (the pty's ICRNL makes it a newline); echo and ONLCR put it back as "...\r\n".
            await using var stream = await cri.ExecAsync(app, ["sh", "-c", "echo \"waiting on $(tty)\"; read line; echo \"got:$line\"; exit 3"], tty: true, stdin: true);
            var failure = await TypeLate(stream, $"typed-{run}", "got:typed-" + run + "\r\n", 3);
            if (failure is null && !stream.Stdout.Contains("waiting on /dev/pts/", StringComparison.Ordinal))
            {
                failure = $"the exec'd shell's stdin should be a pty (/dev/pts/N), `tty` said otherwise:\n{stream.Transcript}";
            }
            if (failure is not null)
            {
                failures.Add($"run {run}: {failure}");
            }
        }

        session.Check(failures.Count == 0, $"{failures.Count} of {Runs} exec -it runs with input typed {TypingDelay.TotalSeconds} s late failed:\n{string.Join("\n", failures)}");
        cri.RemovePod(pod);
        cri.AssertNothingLeft();
    }

    [CriTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public async Task ExecWithTtyAndStdinSentAtOnceTenOutOfTen(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var cri = new CriSession(session, fixture.Cri);
        var pod = cri.RunPod("execearly");
        var app = cri.RunContainer(pod, CriSession.NewContainerConfig("app", "sleep", "1000"));
        cri.WaitForState(app, ContainerState.ContainerRunning);

        // The line is sent as soon as the stream is open, before the shell can have started reading.
        var failures = new List<string>();
        for (var run = 1; run <= Runs; run++)
        {
            await using var stream = await cri.ExecAsync(app, ["sh", "-c", "read line; echo \"got:$line\"; exit 3"], tty: true, stdin: true);
            await stream.SendStdinAsync($"early-{run}\r");
            var end = await stream.WaitForEndAsync(StreamTimeout);
            if (!end.Ended || end.ExitCode != 3 || !end.Stdout.Contains($"got:early-{run}\r\n", StringComparison.Ordinal))
            {
                failures.Add($"run {run}: expected 'got:early-{run}' and exit status 3; ended {end.Ended}, exit code {end.ExitCode?.ToString() ?? "none"}\n{stream.Transcript}");
            }
        }

        session.Check(failures.Count == 0, $"{failures.Count} of {Runs} exec -it runs with input sent at once failed:\n{string.Join("\n", failures)}");
        cri.RemovePod(pod);
        cri.AssertNothingLeft();
    }

    [CriTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public async Task ExecWithPipesAndLateStdinSeparatesStdoutAndStderr(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var cri = new CriSession(session, fixture.Cri);
        var pod = cri.RunPod("execpipe");
        var app = cri.RunContainer(pod, CriSession.NewContainerConfig("app", "sleep", "1000"));
        cri.WaitForState(app, ContainerState.ContainerRunning);

        var failures = new List<string>();
        for (var run = 1; run <= 3; run++)
        {
            await using var stream = await cri.ExecAsync(app,
                ["sh", "-c", "echo waiting; read line; echo \"out:$line\"; echo \"err:$line\" >&2; exit 4"], tty: false, stdin: true);
            var failure = await TypeLate(stream, $"piped-{run}\n", $"out:piped-{run}\n", 4);
            if (failure is null && stream.Stderr != $"err:piped-{run}\n")
            {
                failure = $"stderr should be exactly 'err:piped-{run}\\n', is '{stream.Stderr}'\n{stream.Transcript}";
            }

            if (failure is null && stream.Stdout != $"waiting\nout:piped-{run}\n")
            {
                failure = $"stdout should be exactly 'waiting\\nout:piped-{run}\\n' (nothing echoed without a tty), is '{stream.Stdout}'\n{stream.Transcript}";
            }

            if (failure is not null)
            {
                failures.Add($"run {run}: {failure}");
            }
        }

        session.Check(failures.Count == 0, $"exec with stdin over pipes, input typed late:\n{string.Join("\n", failures)}");
        cri.RemovePod(pod);
        cri.AssertNothingLeft();
    }

    [CriTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public async Task AttachToAnInteractiveShellWithLateInputTenOutOfTen(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var cri = new CriSession(session, fixture.Cri);
        var pod = cri.RunPod("attach");
        var config = CriSession.NewContainerConfig("shell", "sh");
        config.Tty = true;
        config.Stdin = true;
        config.StdinOnce = false; // a detach leaves the shell running, as `kubectl attach` does
        var shell = cri.RunContainer(pod, config);
        cri.WaitForState(shell, ContainerState.ContainerRunning);

        // Each run attaches to the waiting shell, types a command 1.5 s later, sees its result and
        // detaches; the last run types `exit 3`, which ends the stream and the container.
        var failures = new List<string>();
        for (var run = 1; run <= Runs; run++)
        {
            await using var stream = await cri.AttachAsync(shell, tty: true, stdin: true);
            await Task.Delay(TypingDelay);
            if (run < Runs)
            {
                await stream.SendStdinAsync($"echo attached-{run}-$(({run} * 7))\r");
                if (!await stream.WaitForStdoutAsync(o => o.Contains($"attached-{run}-{run * 7}\r\n", StringComparison.Ordinal), StreamTimeout))
                {
                    failures.Add($"run {run}: the shell's answer 'attached-{run}-{run * 7}' did not arrive within {StreamTimeout.TotalSeconds:F0}s " +
                                 $"({stream.ClosedBy ?? "stream still open"})\n{stream.Transcript}");
                }

                await stream.CloseAsync();
                continue;
            }

            await stream.SendStdinAsync("exit 3\r");
            var end = await stream.WaitForEndAsync(StreamTimeout);
            if (!end.Ended)
            {
                failures.Add($"run {run}: `exit 3` did not end the attach stream within {StreamTimeout.TotalSeconds:F0}s\n{stream.Transcript}");
            }
        }

        session.Check(failures.Count == 0, $"{failures.Count} of {Runs} attach runs with input typed {TypingDelay.TotalSeconds} s late failed:\n{string.Join("\n", failures)}");
        var exited = cri.WaitForState(shell, ContainerState.ContainerExited);
        session.Check(exited.ExitCode == 3, $"the attached shell ended with `exit 3`; ContainerStatus says exit code {exited.ExitCode}");
        var log = CriSession.LoggedText(pod, "shell", "stdout");
        session.Check(log.Contains($"attached-{Runs - 1}-{(Runs - 1) * 7}", StringComparison.Ordinal),
            $"the container's CRI log should hold the terminal's output too:\n{CriSession.ReadLog(pod, "shell")}");
        cri.RemovePod(pod);
        cri.AssertNothingLeft();
    }

    [CriTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public async Task ResizeOverTheExecStreamReachesStty(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var cri = new CriSession(session, fixture.Cri);
        var pod = cri.RunPod("resize");
        var app = cri.RunContainer(pod, CriSession.NewContainerConfig("app", "sleep", "1000"));
        cri.WaitForState(app, ContainerState.ContainerRunning);

        await using var stream = await cri.ExecAsync(app,
            ["sh", "-c", "echo waiting; read a; echo \"size1:$(stty size)\"; read b; echo \"size2:$(stty size)\"; exit 0"], tty: true, stdin: true);
        var waiting = await stream.WaitForStdoutAsync(o => o.Contains("waiting", StringComparison.Ordinal), StreamTimeout);
        session.Check(waiting, $"the exec'd shell should print 'waiting':\n{stream.Transcript}");

        // Resize, give containerd a moment to apply it (it goes to the shim apart from stdin), then ask.
        foreach (var (step, width, height) in new[] { (1, 100, 30), (2, 123, 45) })
        {
            await stream.ResizeAsync(width, height);
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            await stream.SendStdinAsync("\r");
            var seen = await stream.WaitForStdoutAsync(o => o.Contains($"size{step}:", StringComparison.Ordinal) && o[o.IndexOf($"size{step}:", StringComparison.Ordinal)..].Contains('\n'), StreamTimeout);
            var line = seen ? stream.Stdout[stream.Stdout.IndexOf($"size{step}:", StringComparison.Ordinal)..].Split('\n')[0].TrimEnd('\r') : "(none)";
            session.Check(line == $"size{step}:{height} {width}",
                $"after a resize to {width}x{height} over the stream, `stty size` should print '{height} {width}', printed '{line}'\n{stream.Transcript}");
        }

        var end = await stream.WaitForEndAsync(StreamTimeout);
        session.Check(end.Ended && end.ExitCode == 0, $"the exec should end with status 0: ended {end.Ended}, exit code {end.ExitCode?.ToString() ?? "none"} ({end.Status})\n{stream.Transcript}");
        cri.RemovePod(pod);
        cri.AssertNothingLeft();
    }

    /// <summary>
    /// Waits for "waiting", types <paramref name="input"/> 1.5 s later, then expects
    /// <paramref name="expected"/> on stdout and the stream to end with <paramref name="exitCode"/>.
    /// Returns null when all of that happened, else what went wrong with the stream's transcript.
    /// </summary>
    private static async Task<string?> TypeLate(CriStream stream, string input, string expected, int exitCode)
    {
        if (!await stream.WaitForStdoutAsync(o => o.Contains("waiting", StringComparison.Ordinal), StreamTimeout))
        {
            return $"'waiting' never arrived ({stream.ClosedBy ?? "stream still open"})\n{stream.Transcript}";
        }

        await Task.Delay(TypingDelay);
        await stream.SendStdinAsync(input.EndsWith('\n') ? input : input + "\r");
        var end = await stream.WaitForEndAsync(StreamTimeout);
        if (!end.Ended)
        {
            return $"the stream did not end within {StreamTimeout.TotalSeconds:F0}s of the input\n{stream.Transcript}";
        }

        if (!end.Stdout.Contains(expected, StringComparison.Ordinal))
        {
            return $"stdout should contain {System.Text.Json.Nodes.JsonValue.Create(expected).ToJsonString()}, is {System.Text.Json.Nodes.JsonValue.Create(end.Stdout).ToJsonString()}\n{stream.Transcript}";
        }

        return end.ExitCode == exitCode
            ? null
            : $"exit status should be {exitCode}, the error channel said {end.Status} (exit code {end.ExitCode?.ToString() ?? "none"})\n{stream.Transcript}";
    }
}
