using Csrunsc.Tests.Differential;
using Xunit;

namespace Csrunsc.Tests.Integration;

/// <summary>
/// containerd 1.6 with its runc v2 shim driving the runtime (BinaryName), through `ctr`:
/// exit status and output of `run --rm`, detached tasks with exec, ps, metrics, pause/resume,
/// signals and removal, and terminals (also typed into from a real pty, late and with ^C). See /work/shared/design/INTEGRATION.md and
/// tests/assets/integration/observed-calls.md for the calls the shim makes.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class ContainerdTests(IntegrationFixture fixture)
{
    private ContainerdSession Begin(IntegrationSession session) => new(session, fixture.Containerd);

    [ContainerdTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public void RunRmDeliversOutputAndExitStatus(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var ctr = Begin(session);
        var id = ctr.NewContainer("run");

        var run = session.Expect(ctr.Run(["--rm"], id, "sh", "-c", "echo hi; exit 3"), 3, "ctr run --rm ... sh -c 'echo hi; exit 3'");
        session.Check(run.Stdout == "hi\n", $"stdout of the container should be \"hi\\n\":\n{run}");
        session.Check(ctr.Task(id) is null, $"task {id} still listed after `ctr run --rm` returned");
        ctr.AssertNothingLeft();
    }

    [ContainerdTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public void DetachedTaskExecPsMetricsPauseResumeTerm(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var ctr = Begin(session);
        var id = ctr.NewContainer("detached");

        // init traps SIGTERM and exits 7; `wait` returns as soon as the signal arrives.
        session.ExpectSuccess(ctr.Run(["-d"], id, "sh", "-c", "trap 'exit 7' TERM; sleep 1000 & wait"), "ctr run -d");
        var pid = ctr.WaitForStatus(id, "RUNNING");
        ctr.TrackPid(pid);
        session.Check(pid > 0 && HostInspector.IsAlive(pid), $"ctr task ls reports pid {pid}, which is not a live host process");

        session.Expect(ctr.Ctr("task", "exec", "--exec-id", "x", id, "sh", "-c", "exit 5"), 5, "ctr task exec --exec-id x ID sh -c 'exit 5'");
        var echo = session.ExpectSuccess(ctr.Ctr("task", "exec", "--exec-id", "y", id, "sh", "-c", "echo from-exec; echo to-stderr >&2"),
            "ctr task exec (output)");
        session.Check(echo.Stdout == "from-exec\n" && echo.Stderr.Contains("to-stderr", StringComparison.Ordinal),
            $"exec's stdout should be \"from-exec\\n\" and its stderr \"to-stderr\":\n{echo}");

        var ps = session.ExpectSuccess(ctr.Ctr("task", "ps", id), "ctr task ps");
        session.Check(ps.Stdout.Split('\n').Skip(1).Any(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() == pid.ToString()),
            $"ctr task ps should list the init pid {pid}:\n{ps}");
        session.ExpectSuccess(ctr.Ctr("task", "metrics", id), "ctr task metrics");

        session.ExpectSuccess(ctr.Ctr("task", "pause", id), "ctr task pause");
        ctr.WaitForStatus(id, "PAUSED");
        session.ExpectSuccess(ctr.Ctr("task", "resume", id), "ctr task resume");
        ctr.WaitForStatus(id, "RUNNING");
        session.Expect(ctr.Ctr("task", "exec", "--exec-id", "z", id, "true"), 0, "ctr task exec after resume");

        session.ExpectSuccess(ctr.Ctr("task", "kill", "-s", "SIGTERM", id), "ctr task kill -s SIGTERM");
        ctr.WaitForStatus(id, "STOPPED");
        var removed = ctr.Remove(id);
        session.Check(removed.Contains("exit code 7", StringComparison.Ordinal),
            $"ctr task rm should report the exit code 7 of the trapped SIGTERM, said: {removed}");
        ctr.AssertNothingLeft();
    }

    [ContainerdTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public void SigtermIgnoredByInitThenSigkillAndRemove(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var ctr = Begin(session);
        var id = ctr.NewContainer("kill");

        session.ExpectSuccess(ctr.Run(["-d"], id, "sleep", "1000"), "ctr run -d ... sleep 1000");
        var pid = ctr.WaitForStatus(id, "RUNNING");
        ctr.TrackPid(pid);

        // PID 1 of a PID namespace ignores signals it has no handler for.
        session.ExpectSuccess(ctr.Ctr("task", "kill", "-s", "SIGTERM", id), "ctr task kill -s SIGTERM");
        Thread.Sleep(1000);
        session.Check(ctr.Task(id)?.Status == "RUNNING", $"`sleep` as init should ignore SIGTERM, but task {id} is {ctr.Task(id)?.Status ?? "gone"}");

        session.ExpectSuccess(ctr.Ctr("task", "kill", "-s", "SIGKILL", id), "ctr task kill -s SIGKILL");
        ctr.WaitForStatus(id, "STOPPED");
        var removed = ctr.Remove(id);
        session.Check(removed.Contains("exit code 137", StringComparison.Ordinal),
            $"ctr task rm should report exit code 137 (128+SIGKILL), said: {removed}");
        ctr.AssertNothingLeft();
    }

    [ContainerdTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public void TtyRunAndTtyExec(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var ctr = Begin(session);
        var id = ctr.NewContainer("tty");

        var run = session.Expect(ctr.UnderScript(ctr.CommandLine(
                ["run", "--rm", "--tty", .. ctr.RuntimeFlags, ContainerdDaemon.ImageName, id, "sh", "-c", "tty; echo tty-run-ok; exit 2"])),
            2, "script -qec 'ctr run --rm --tty ... sh -c \"tty; exit 2\"'");
        session.Check(run.Stdout.Contains("/dev/pts/", StringComparison.Ordinal) && run.Stdout.Contains("tty-run-ok", StringComparison.Ordinal),
            $"the container's stdin should be a pty (/dev/pts/N) and its output should arrive:\n{run}");

        var detached = ctr.NewContainer("ttyexec");
        session.ExpectSuccess(ctr.Run(["-d"], detached, "sleep", "1000"), "ctr run -d ... sleep 1000");
        ctr.TrackPid(ctr.WaitForStatus(detached, "RUNNING"));
        var exec = session.Expect(ctr.UnderScript(ctr.CommandLine("task", "exec", "--tty", "--exec-id", "t", detached, "sh", "-c", "tty; echo tty-exec-ok; exit 4")),
            4, "script -qec 'ctr task exec --tty ... sh -c \"tty; exit 4\"'");
        session.Check(exec.Stdout.Contains("/dev/pts/", StringComparison.Ordinal) && exec.Stdout.Contains("tty-exec-ok", StringComparison.Ordinal),
            $"the exec'd process should have a pty and its output should arrive:\n{exec}");

        session.ExpectSuccess(ctr.Ctr("task", "kill", "-s", "SIGKILL", detached), "ctr task kill -s SIGKILL");
        ctr.WaitForStatus(detached, "STOPPED");
        ctr.Remove(detached);
        ctr.AssertNothingLeft();
    }

    /// <summary>
    /// `ctr task exec --tty` from a user's terminal (<see cref="CallerTerminal"/>): ctr puts it in raw
    /// mode and copies it through the shim's fifos to the console the runtime handed the shim. The
    /// line is typed 1.5 s after the shell waits in `read` (input that arrives long after the exec
    /// started), five times; then an interactive shell: ^C to a `sleep 100`, a resize; then ^D to `cat` and ^C to the shell (<see cref="InteractiveExec"/>).
    /// </summary>
    [ContainerdTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public void TtyExecFromATerminalTakesLateInputCtrlCAndResize(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var ctr = Begin(session);
        var id = ctr.NewContainer("ttylate");
        session.ExpectSuccess(ctr.Run(["-d"], id, "sleep", "1000"), "ctr run -d ... sleep 1000");
        ctr.TrackPid(ctr.WaitForStatus(id, "RUNNING"));
        string[] Exec(string execId, string[] args) =>
            ["ctr", "--address", ctr.Containerd.Address, "task", "exec", "--tty", "--exec-id", execId, id, .. args];

        InteractiveExec.LateLine(session, "ctr task exec --tty", i => CallerTerminal.Command(Exec($"late{i}", InteractiveExec.ReadOneLine)));
        using (var t = CallerTerminal.Command(Exec("shell", InteractiveExec.Shell)))
        {
            InteractiveExec.InteractiveShell(session, "ctr task exec --tty", t);
        }

        using (var t = CallerTerminal.Command(Exec("cat", InteractiveExec.CatThenSleep)))
        {
            InteractiveExec.CtrlCAndEof(session, "ctr task exec --tty", t);
        }

        session.ExpectSuccess(ctr.Ctr("task", "kill", "-s", "SIGKILL", id), "ctr task kill -s SIGKILL");
        ctr.WaitForStatus(id, "STOPPED");
        ctr.Remove(id);
        ctr.AssertNothingLeft();
    }

    /// <summary>
    /// `ctr run --rm --tty` from a user's terminal: the same steps as
    /// <see cref="TtyExecFromATerminalTakesLateInputCtrlCAndResize"/> with the shell as the
    /// container's init (the console of `create --console-socket`, not of `exec`).
    /// </summary>
    [ContainerdTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public void TtyRunFromATerminalTakesLateInputCtrlCAndResize(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var ctr = Begin(session);
        string[] Run(string id, string[] args) =>
            ["ctr", "--address", ctr.Containerd.Address, "run", "--rm", "--tty", .. ctr.RuntimeFlags, ContainerdDaemon.ImageName, id, .. args];

        InteractiveExec.LateLine(session, "ctr run --rm --tty", _ => CallerTerminal.Command(Run(ctr.NewContainer("ttyrunlate"), InteractiveExec.ReadOneLine)), times: 2);
        using (var t = CallerTerminal.Command(Run(ctr.NewContainer("ttyrunsh"), InteractiveExec.Shell)))
        {
            InteractiveExec.InteractiveShell(session, "ctr run --rm --tty", t);
        }

        ctr.AssertNothingLeft();
    }
}
