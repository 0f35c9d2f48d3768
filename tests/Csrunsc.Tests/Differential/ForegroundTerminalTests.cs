using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// `run` (process.terminal) and `exec -t` in the foreground without --console-socket, from a user's
/// terminal (<see cref="CallerTerminal"/>): the runtime makes the pty itself and proxies it to the
/// caller's terminal (src/Csrunsc/Sandbox/ConsoleProxy.cs; runc's tty.go). runc is the oracle:
/// both must pass every step.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class ForegroundTerminalTests(DifferentialFixture fixture)
{
    private static readonly string[] Prompt = ["PS1=P> "];

    /// <summary>containerd/console's SetRaw on the caller's terminal: cfmakeraw with OPOST kept.</summary>
    private const string RawWithOutput = "-icanon -echo -isig -icrnl -ixon opost onlcr min=1";

    [RootRequiredTheory]
    [InlineData(ContainerRunner.Runc)]
    [InlineData(ContainerRunner.Csrunsc)]
    public void RunProxiesTheCallersTerminal(string runtime)
    {
        using var t = CallerTerminal.Run(fixture, runtime, ["/bin/sh"], Prompt);
        Session(t, runtime);
    }

    [RootRequiredTheory]
    [InlineData(ContainerRunner.Runc)]
    [InlineData(ContainerRunner.Csrunsc)]
    public void ExecTtyProxiesTheCallersTerminal(string runtime)
    {
        var runner = fixture.Runner;
        string id = runner.NewContainerId(runtime);
        string bundle = runner.CreateBundle(id, ["sleep", "600"]);
        string root = fixture.StateRootFor(runtime);
        try
        {
            // The detached container keeps its stdio: /dev/null, not our pipes.
            string err = Path.Join(bundle, "run-detach.err");
            var started = Run("/bin/sh", ["-c", "exec \"$@\" </dev/null >/dev/null 2>\"$0\"", err, ContainerRunner.ResolveRuntime(runtime),
                "--root", root, "run", "--detach", "--bundle", bundle, id]);
            Assert.True(started.Code == 0, $"{runtime}: run --detach failed: {File.ReadAllText(err)}");
            using var t = CallerTerminal.Exec(fixture, runtime, id, ["/bin/sh"], Prompt);
            Session(t, runtime);
        }
        finally
        {
            Runtime(runtime, root, "delete", "-f", id);
        }
    }

    /// <summary>With no terminal anywhere (stdio redirected, no controlling terminal) runc fails opening /dev/tty.</summary>
    [RootRequiredTheory]
    [InlineData(ContainerRunner.Runc)]
    [InlineData(ContainerRunner.Csrunsc)]
    public void RunWithoutAnyTerminalFails(string runtime)
    {
        var runner = fixture.Runner;
        string id = runner.NewContainerId(runtime);
        string bundle = runner.CreateBundle(id, ["true"], config => ((JsonObject)config["process"]!)["terminal"] = true);
        string root = fixture.StateRootFor(runtime);
        try
        {
            var r = Run("setsid", [ContainerRunner.ResolveRuntime(runtime), "--root", root, "run", "--bundle", bundle, id]);
            Assert.True(r.Code == 1, $"{runtime}: exit {r.Code}, expected 1: {r.Stderr}");
            Assert.Contains("open /dev/tty: no such device or address", r.Stderr, StringComparison.Ordinal);
            var list = Runtime(runtime, root, "state", id);
            Assert.True(list.Code != 0, $"{runtime}: the container should not be left behind: {list.Stdout}");
        }
        finally
        {
            Runtime(runtime, root, "delete", "-f", id);
        }
    }

    /// <summary>
    /// Raw mode on the caller's terminal, `tty`, ONLCR cleared on the container's pty, a command typed
    /// 1.5 s late, type-ahead while a command runs, ^C to the container's foreground job, a resize
    /// (SIGWINCH in the container, `stty size`), `exit 7` as the runtime's status, the mode restored.
    /// </summary>
    private static void Session(CallerTerminal t, string runtime)
    {
        void Step(bool ok, string what) => Assert.True(ok, $"{runtime}: {what}\n--- screen ---\n{t.Screen}");

        Step(t.WaitFor("P> "), "the first prompt");
        Assert.True(t.ModeNow() == RawWithOutput, $"{runtime}: the caller's terminal while it runs: {t.ModeNow()} (before: {t.ModeBefore})");
        Thread.Sleep(1500);
        t.Type("echo got-$((6*7)); tty\r");
        Step(t.WaitFor("got-42"), "a command typed 1.5 s after the prompt");
        Step(t.WaitFor("/dev/pts/0"), "`tty` names the container's /dev/pts/0");
        t.Type("stty -a | grep -o .onlcr\r");
        Step(t.WaitFor("-onlcr"), "ONLCR cleared on the container's pty (runc's ClearONLCR)");
        t.Type("stty size\r");
        Step(t.WaitFor("24 80"), "`stty size` is the caller's terminal's");

        t.TypeAheadInterruptAndResize(Step);

        t.Type("exit 7\r");
        int? status = t.WaitForExit(TimeSpan.FromSeconds(20));
        Assert.True(status == 7, $"{runtime}: the runtime's exit status {status?.ToString() ?? "(still running)"}, expected 7\n{t.Screen}");
        Assert.True(t.ModeNow() == t.ModeBefore, $"{runtime}: the caller's terminal after exit: {t.ModeNow()}, before: {t.ModeBefore}");
    }

    private static (int Code, string Stdout, string Stderr) Runtime(string runtime, string root, params string[] args) =>
        Run(ContainerRunner.ResolveRuntime(runtime), ["--root", root, .. args]);

    private static (int Code, string Stdout, string Stderr) Run(string file, string[] args)
    {
        var p = Process.Start(new ProcessStartInfo(file, args)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(60_000)) p.Kill(true);
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr);
    }
}
