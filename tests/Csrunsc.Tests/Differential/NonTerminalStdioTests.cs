using System.Diagnostics;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// A process without a terminal (process.terminal false, `exec` without -t) started from a user's
/// terminal (<see cref="CallerTerminal"/>). In the foreground runc hands the process pipes and
/// copies them to the terminal (setupProcessPipes; csrunsc's Sandbox/StdioPipes), so the program
/// sees no terminal at all; detached, the process keeps the caller's terminal as its stdio, a
/// terminal (isatty, `stty size`) that is not its controlling one and has no name in its /dev/pts
/// (`tty`: "not a tty"; /dev/tty: ENXIO). runc is the oracle: both must pass every step.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class NonTerminalStdioTests(DifferentialFixture fixture)
{
    /// <summary>What the program reports of its stdio, then a line read from stdin, then exit 3.</summary>
    private static readonly string[] Probe =
    [
        "/bin/sh", "-c",
        "tty; echo \"tty-rc=$?\"; if [ -t 0 ]; then echo in=tty; else echo in=other; fi; " +
        "if [ -t 1 ]; then echo out=tty; else echo out=other; fi; stty size 2>/dev/null; echo \"stty-rc=$?\"; " +
        "echo \"link=$(readlink /proc/$$/fd/1 | cut -c1-5)\"; true </dev/tty 2>/dev/null; echo \"devtty=$?\"; " +
        "echo ready; read line; echo \"got:$line\"; exit 3",
    ];

    [RootRequiredTheory]
    [InlineData(ContainerRunner.Runc)]
    [InlineData(ContainerRunner.Csrunsc)]
    public void ForegroundRunGetsPipes(string runtime)
    {
        using var t = CallerTerminal.Run(fixture, runtime, Probe, [], terminal: false);
        SeesPipes(t, runtime);
    }

    [RootRequiredTheory]
    [InlineData(ContainerRunner.Runc)]
    [InlineData(ContainerRunner.Csrunsc)]
    public void ForegroundExecGetsPipes(string runtime)
    {
        var runner = fixture.Runner;
        string id = runner.NewContainerId(runtime);
        string bundle = runner.CreateBundle(id, ["sleep", "600"]);
        string root = fixture.StateRootFor(runtime);
        try
        {
            var started = Run("/bin/sh", ["-c", "exec \"$@\" </dev/null >/dev/null 2>&1", "sh", ContainerRunner.ResolveRuntime(runtime),
                "--root", root, "run", "--detach", "--bundle", bundle, id]);
            Assert.True(started == 0, $"{runtime}: run --detach failed");
            using var t = CallerTerminal.Exec(fixture, runtime, id, Probe, [], tty: false);
            SeesPipes(t, runtime);
        }
        finally
        {
            Run(ContainerRunner.ResolveRuntime(runtime), ["--root", root, "delete", "-f", id]);
        }
    }

    [RootRequiredTheory]
    [InlineData(ContainerRunner.Runc)]
    [InlineData(ContainerRunner.Csrunsc)]
    public void DetachedRunKeepsTheCallersTerminal(string runtime)
    {
        using var t = CallerTerminal.Run(fixture, runtime, Probe, [], terminal: false, detach: true);
        ProbeSees(t, runtime, callersTerminal: true);
    }

    /// <summary>The probe under a foreground runtime: pipes everywhere, a line typed late copied in, exit 3 as the runtime's status.</summary>
    private static void SeesPipes(CallerTerminal t, string runtime)
    {
        ProbeSees(t, runtime, callersTerminal: false);
        int? status = t.WaitForExit(TimeSpan.FromSeconds(20));
        Assert.True(status == 3, $"{runtime}: the runtime's exit status {status?.ToString() ?? "(still running)"}, expected 3\n{t.Screen}");
        Assert.True(t.ModeNow() == t.ModeBefore, $"{runtime}: the caller's terminal after exit: {t.ModeNow()}, before: {t.ModeBefore}");
    }

    /// <summary>
    /// The probe's report: stdio is the caller's terminal (detached: a terminal, but not a named or
    /// controlling one) or pipes (foreground); either way /dev/tty fails and a line typed 1.5 s late
    /// reaches it (the caller's terminal stays cooked and echoing; a foreground runtime copies the line on).
    /// </summary>
    private static void ProbeSees(CallerTerminal t, string runtime, bool callersTerminal)
    {
        void Step(bool ok, string what) => Assert.True(ok, $"{runtime}: {what}\n--- screen ---\n{t.Screen}");
        Step(t.WaitFor("not a tty"), "`tty` finds no terminal name");
        Step(t.WaitFor("tty-rc=1"), "`tty` fails");
        Step(t.WaitFor(callersTerminal ? "in=tty" : "in=other"), callersTerminal ? "stdin is the caller's terminal" : "stdin is not a terminal");
        Step(t.WaitFor(callersTerminal ? "out=tty" : "out=other"), callersTerminal ? "stdout is the caller's terminal" : "stdout is not a terminal");
        if (callersTerminal) Step(t.WaitFor("24 80"), "`stty size` reads the caller's terminal");
        Step(t.WaitFor(callersTerminal ? "stty-rc=0" : "stty-rc=1"), callersTerminal ? "stty succeeds" : "stty fails on a pipe");
        Step(t.WaitFor(callersTerminal ? "link=/dev/" : "link=pipe:"), callersTerminal ? "/proc/self/fd/1 names a device" : "/proc/self/fd/1 is a pipe");
        Step(t.WaitFor("devtty=") && !t.Screen.Contains("devtty=0", StringComparison.Ordinal), "/dev/tty: no controlling terminal");
        Step(t.WaitFor("ready"), "the probe waits for input");
        Thread.Sleep(1500);
        t.Type("hello\r");
        Step(t.WaitFor("got:hello"), "a line typed 1.5 s later reaches the process");
    }

    private static int Run(string file, string[] args)
    {
        var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        p.StandardOutput.ReadToEndAsync();
        p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) p.Kill(true);
        p.WaitForExit();
        return p.ExitCode;
    }
}
