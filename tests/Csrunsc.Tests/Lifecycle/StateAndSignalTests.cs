using Csrunsc.Tests.Differential;
using Csrunsc.Tests.Integration;
using Xunit;
using static Csrunsc.Tests.Lifecycle.LifecycleCompare;

namespace Csrunsc.Tests.Lifecycle;

/// <summary>
/// The container lifecycle through the CLI, the same steps under runc (reference) and csrunsc:
/// the `state` after each step, exit statuses of foreground `run`, and `kill` in each state.
/// Observed with runc 1.1.5 (Debian 12).
/// </summary>
[Collection(LifecycleCollection.Name)]
public sealed class StateAndSignalTests(LifecycleFixture fixture)
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// create → "created" with the pid-file pid, a live host process; start → "running"; the
    /// process exits → "stopped" with pid 0 (runc prints 0 for a stopped container, csrunsc too);
    /// delete → `state` fails saying "does not exist" (runc: "container does not exist",
    /// csrunsc: "container ID does not exist").
    /// </summary>
    [RootRequiredFact]
    public void StatesAfterEachStep() => Scenario(fixture, (s, o) =>
    {
        var (id, _, pid) = s.CreateContainer(["sh", "-c", "sleep 1"]);
        string State() => s.StatusAndPid(id).Replace($"pid={pid}", "pid=PIDFILE");
        o.Add($"after create: {State()}");
        o.Add($"pid-file process is a live host process: {HostInspector.IsAlive(pid)}");
        o.Add($"start: exit {s.Cli("start", id).ExitCode}");
        o.Add($"after start: {State()}");
        o.Add($"stopped within {StopTimeout.TotalSeconds}s: {s.WaitForStatus(id, "stopped", StopTimeout)}");
        o.Add($"after exit: {State()}");
        o.Add($"pid-file process gone: {LifecycleSession.WaitGone(pid, StopTimeout)}");
        o.Add($"delete: exit {s.Cli("delete", id).ExitCode}");
        var state = s.Cli("state", id);
        o.Add($"state after delete: exit {state.ExitCode}, stdout empty: {state.Stdout.Trim().Length == 0}, " +
              $"stderr says does not exist: {state.Stderr.Contains("does not exist", StringComparison.Ordinal)}");
        o.Add($"state directory gone: {!Directory.Exists(Path.Join(s.Root, id))}");
    },
    [
        "after create: status=created pid=PIDFILE",
        "pid-file process is a live host process: True",
        "start: exit 0",
        "after start: status=running pid=PIDFILE",
        "stopped within 10s: True",
        "after exit: status=stopped pid=0",
        "pid-file process gone: True",
        "delete: exit 0",
        "state after delete: exit 1, stdout empty: True, stderr says does not exist: True",
        "state directory gone: True",
    ]);

    public static TheoryData<string, string, int, string> ExitCases => new()
    {
        { "exit 3", "exit 3", 3, "" },
        // PID 1 of a pid namespace gets no signal from inside it that it has no handler for:
        // not even its own SIGKILL (the kernel drops it), so the shell goes on.
        { "init kills itself with SIGKILL", "kill -9 $$; echo survived", 0, "survived\\n" },
        { "init sends itself SIGTERM", "kill -TERM $$; echo survived", 0, "survived\\n" },
        { "a child killed by SIGKILL", "sleep 5 & kill -9 $!; wait $!; echo $?", 0, "137\\n" },
    };

    /// <summary>Foreground `run` exits with the container's status (the pid-file process is not our child after create, run's is).</summary>
    [RootRequiredTheory]
    [MemberData(nameof(ExitCases))]
    public void RunExitStatus(string name, string script, int exitCode, string stdout)
    {
        _ = name;
        Scenario(fixture, (s, o) =>
        {
            var result = s.Run(["sh", "-c", script]);
            o.Add($"exit {result.ExitCode}{(result.TimedOut ? " (timed out)" : "")}");
            o.Add($"stdout {Text(result.Stdout)}");
        },
        [$"exit {exitCode}", $"stdout {stdout}"]);
    }

    /// <summary>`kill ID KILL` from outside ends a foreground `run` with 137 (128+9); `kill ID TERM` to an init without a handler does nothing.</summary>
    [RootRequiredFact]
    public void RunEndsWith137OnExternalKill() => Scenario(fixture, (s, o) =>
    {
        var id = s.NewId();
        using var run = s.StartRun(id, s.NewBundle(id, ["sleep", "100"]));
        o.Add($"running within 10s: {s.WaitForStatus(id, "running", StopTimeout)}");
        o.Add($"kill TERM: exit {s.Cli("kill", id, "TERM").ExitCode}");
        Thread.Sleep(500);
        o.Add($"after TERM: run still going: {!run.HasExited}, status {s.Status(id)}");
        o.Add($"kill KILL: exit {s.Cli("kill", id, "KILL").ExitCode}");
        var result = run.Wait(LifecycleSession.RunTimeout);
        o.Add($"run: exit {result.ExitCode}");
    },
    [
        "running within 10s: True",
        "kill TERM: exit 0",
        "after TERM: run still going: True, status running",
        "kill KILL: exit 0",
        "run: exit 137",
    ]);

    /// <summary>An init with a USR1 trap: `kill ID USR1` runs the trap, which prints and exits 5; `run` exits 5.</summary>
    [RootRequiredFact]
    public void TrappedSignalReachesInit() => Scenario(fixture, (s, o) =>
    {
        var id = s.NewId();
        var bundle = s.NewBundle(id, ["sh", "-c", "trap 'echo got; exit 5' USR1; touch /ready; while :; do sleep 0.1; done"]);
        using var run = s.StartRun(id, bundle);
        // The trap is installed once /ready exists (the rootfs is the bundle's, writable).
        var ready = HostInspector.WaitUntil(() => File.Exists(Path.Join(bundle, "rootfs", "ready")), StopTimeout, TimeSpan.FromMilliseconds(50));
        o.Add($"trap installed within 10s: {ready}");
        o.Add($"kill USR1: exit {s.Cli("kill", id, "USR1").ExitCode}");
        var result = run.Wait(LifecycleSession.RunTimeout);
        o.Add($"run: exit {result.ExitCode}, stdout {Text(result.Stdout)}");
    },
    [
        "trap installed within 10s: True",
        "kill USR1: exit 0",
        "run: exit 5, stdout got\\n",
    ]);

    /// <summary>
    /// `kill ID 9` in the created state stops the container without it ever running (containerd's
    /// `task rm -f` of a never-started task; runsc refuses it).
    /// </summary>
    [RootRequiredFact]
    public void KillInCreatedState() => Scenario(fixture, (s, o) =>
    {
        var (id, bundle, pid) = s.CreateContainer(["sh", "-c", "echo must-not-run; sleep 100"]);
        o.Add($"kill 9: exit {s.Cli("kill", id, "9").ExitCode}");
        o.Add($"pid-file process gone within 10s: {LifecycleSession.WaitGone(pid, StopTimeout)}");
        o.Add($"stopped within 10s: {s.WaitForStatus(id, "stopped", StopTimeout)}");
        o.Add($"delete: exit {s.Cli("delete", id).ExitCode}");
        o.Add($"the process never ran: {!File.ReadAllText(Path.Join(bundle, "stdout")).Contains("must-not-run", StringComparison.Ordinal)}");
    },
    [
        "kill 9: exit 0",
        "pid-file process gone within 10s: True",
        "stopped within 10s: True",
        "delete: exit 0",
        "the process never ran: True",
    ]);

    /// <summary>
    /// A running `sleep 100` init ignores TERM (no handler, PID 1); KILL stops it; kill of the
    /// stopped container fails with "container not running" (the shim matches that wording);
    /// `kill --all` of a stopped container succeeds in runc (nothing left to signal).
    /// </summary>
    [RootRequiredFact]
    public void KillRunningThenStopped() => Scenario(fixture, (s, o) =>
    {
        var (id, _, pid) = s.CreateContainer(["sleep", "100"]);
        o.Add($"start: exit {s.Cli("start", id).ExitCode}");
        o.Add($"kill TERM: exit {s.Cli("kill", id, "TERM").ExitCode}");
        Thread.Sleep(500);
        o.Add($"after TERM: status {s.Status(id)}, alive {HostInspector.IsAlive(pid)}");
        o.Add($"kill KILL: exit {s.Cli("kill", id, "KILL").ExitCode}");
        o.Add($"stopped within 10s: {s.WaitForStatus(id, "stopped", StopTimeout)}");
        o.Add($"pid-file process gone: {LifecycleSession.WaitGone(pid, StopTimeout)}");
        foreach (var args in new[] { new[] { "kill", id, "KILL" }, ["kill", id] })
        {
            s.ClearLog();
            var kill = s.Cli(args);
            o.Add($"{string.Join(' ', args).Replace(id, "ID")} when stopped: exit {kill.ExitCode}, " +
                  $"stderr says container not running: {kill.Stderr.Contains("container not running", StringComparison.Ordinal)}, " +
                  $"log: {s.LastLogLine()}");
        }

        o.Add($"kill --all KILL when stopped: exit {s.Cli("kill", "--all", id, "KILL").ExitCode}");
        o.Add($"delete: exit {s.Cli("delete", id).ExitCode}");
    },
    [
        "start: exit 0",
        "kill TERM: exit 0",
        "after TERM: status running, alive True",
        "kill KILL: exit 0",
        "stopped within 10s: True",
        "pid-file process gone: True",
        "kill ID KILL when stopped: exit 1, stderr says container not running: True, log: (error, container not running)",
        "kill ID when stopped: exit 1, stderr says container not running: True, log: (error, container not running)",
        "kill --all KILL when stopped: exit 0",
        "delete: exit 0",
    ]);

    /// <summary>`kill --all ID KILL` ends init and a detached exec'd process alike.</summary>
    [RootRequiredFact]
    public void KillAllReachesExecProcesses() => Scenario(fixture, (s, o) =>
    {
        var (id, bundle, pid) = s.CreateContainer(["sleep", "100"]);
        o.Add($"start: exit {s.Cli("start", id).ExitCode}");
        var execPidFile = Path.Join(bundle, "exec.pid");
        var exec = s.CliToFiles(Path.Join(bundle, "exec.out"), Path.Join(bundle, "exec.err"),
            "exec", "--detach", "--pid-file", execPidFile, id, "sleep", "100");
        var execPid = LifecycleSession.TryReadPid(execPidFile) ?? -1;
        if (execPid > 0)
        {
            s.TrackPid(execPid);
        }

        o.Add($"exec --detach: exit {exec.ExitCode}, exec pid alive {HostInspector.IsAlive(execPid)}");
        o.Add($"kill --all KILL: exit {s.Cli("kill", "--all", id, "KILL").ExitCode}");
        o.Add($"init gone within 10s: {LifecycleSession.WaitGone(pid, StopTimeout)}");
        o.Add($"exec pid gone within 10s: {LifecycleSession.WaitGone(execPid, StopTimeout)}");
        o.Add($"stopped within 10s: {s.WaitForStatus(id, "stopped", StopTimeout)}");
        o.Add($"delete: exit {s.Cli("delete", id).ExitCode}");
    },
    [
        "start: exit 0",
        "exec --detach: exit 0, exec pid alive True",
        "kill --all KILL: exit 0",
        "init gone within 10s: True",
        "exec pid gone within 10s: True",
        "stopped within 10s: True",
        "delete: exit 0",
    ]);
}
