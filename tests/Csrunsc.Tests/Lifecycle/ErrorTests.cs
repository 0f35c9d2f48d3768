using System.Text.Json;
using Csrunsc.Tests.Differential;
using Csrunsc.Tests.Integration;
using Xunit;
using static Csrunsc.Tests.Lifecycle.LifecycleCompare;

namespace Csrunsc.Tests.Lifecycle;

/// <summary>
/// Errors a caller matches on: containerd's shim shows `msg` of the last `{"level":"error"}` line
/// of the --log file and matches "does not exist", "container not running"; podman parses the
/// whole log file as one JSON object. Wording observed with runc 1.1.5.
/// </summary>
[Collection(LifecycleCollection.Name)]
public sealed class ErrorTests(LifecycleFixture fixture)
{
    public static TheoryData<string> MissingContainerCommands =>
    [
        "start", "state", "kill", "kill --all", "delete", "ps", "ps --format json", "exec", "pause", "resume",
        "update --pids-limit 10", "events --stats",
    ];

    /// <summary>
    /// Any command on an id that does not exist: exit 1 (exec: 255, runc's status for its own
    /// failures), nothing on stdout, stderr and exactly one JSON log line (level "error", msg
    /// with "does not exist"). runc says "container does not exist", csrunsc "container ID does
    /// not exist", exec prefixes "exec failed: ".
    /// </summary>
    [RootRequiredTheory]
    [MemberData(nameof(MissingContainerCommands))]
    public void MissingContainer(string command) => Scenario(fixture, (s, o) =>
    {
        var words = command.Split(' ');
        var id = s.NewId();
        string[] args = words[0] == "exec" ? [.. words, id, "true"] : [.. words, id];
        var result = s.Cli(args);
        var log = s.LastLogLine();
        o.Add($"exit {result.ExitCode}, stdout {Text(result.Stdout)}");
        o.Add($"stderr says does not exist: {result.Stderr.Contains("does not exist", StringComparison.Ordinal)}");
        o.Add($"log lines: {s.LogLineCount()}, last: level {log?.Level}, msg says does not exist: {log?.Msg.Contains("does not exist", StringComparison.Ordinal)}" +
              (words[0] == "exec" ? $", msg starts with 'exec failed: ': {log?.Msg.StartsWith("exec failed: ", StringComparison.Ordinal)}" : ""));
    },
    [
        $"exit {(command == "exec" ? 255 : 1)}, stdout ",
        "stderr says does not exist: True",
        "log lines: 1, last: level error, msg says does not exist: True" + (command == "exec" ? ", msg starts with 'exec failed: ': True" : ""),
    ]);

    /// <summary>`delete --force` of an id that never existed, or no longer does, succeeds silently (containerd relies on it).</summary>
    [RootRequiredFact]
    public void ForceDeleteOfMissingContainerSucceeds() => Scenario(fixture, (s, o) =>
    {
        var never = s.Cli("delete", "--force", s.NewId());
        o.Add($"never existed: exit {never.ExitCode}, stderr {Text(never.Stderr)}, log lines {s.LogLineCount()}");
        var (id, _, _) = s.CreateContainer(["true"]);
        o.Add($"delete: exit {s.Cli("delete", id).ExitCode}");
        var again = s.Cli("delete", "--force", id);
        o.Add($"deleted already: exit {again.ExitCode}, stderr {Text(again.Stderr)}, log lines {s.LogLineCount()}");
    },
    [
        "never existed: exit 0, stderr , log lines 0",
        "delete: exit 0",
        "deleted already: exit 0, stderr , log lines 0",
    ]);

    /// <summary>
    /// A second create with an id in use fails (exit 1) and leaves the first container alone.
    /// Wording differs: runc 1.1.5 "container with given ID already exists", csrunsc
    /// "container with id exists: ID" (older runc's); both contain "exists", which is all callers need.
    /// </summary>
    [RootRequiredFact]
    public void DuplicateCreateFails() => Scenario(fixture, (s, o) =>
    {
        var (id, _, pid) = s.CreateContainer(["sleep", "100"]);
        var second = s.NewBundle(id + "-second", ["true"]);
        s.ClearLog();
        var result = s.CliToFiles(Path.Join(second, "stdout"), Path.Join(second, "stderr"),
            "create", "--bundle", second, "--pid-file", LifecycleSession.PidFile(second), id);
        o.Add($"second create: exit {result.ExitCode}, log level {s.LastLogLine()?.Level}, " +
              $"msg says exists: {s.LastLogLine()?.Msg.Contains("exists", StringComparison.Ordinal)}");
        o.Add($"second pid file written: {File.Exists(LifecycleSession.PidFile(second))}");
        o.Add($"first: {s.StatusAndPid(id).Replace($"pid={pid}", "pid=PIDFILE")}, alive {HostInspector.IsAlive(pid)}");
    },
    [
        "second create: exit 1, log level error, msg says exists: True",
        "second pid file written: False",
        "first: status=created pid=PIDFILE, alive True",
    ]);

    /// <summary>Wrong-state errors, with runc's exact wording (ID stands for the container id).</summary>
    [RootRequiredFact]
    public void WrongStateErrors() => Scenario(fixture, (s, o) =>
    {
        var (id, _, pid) = s.CreateContainer(["sleep", "100"]);
        void Step(string label, params string[] args)
        {
            s.ClearLog();
            var result = s.Cli(args);
            var log = s.LastLogLine();
            o.Add($"{label}: exit {result.ExitCode}" + (log is { } l ? $", {l.Level}: {l.Msg.Replace(id, "ID")}" : ""));
        }

        Step("start", "start", id);
        Step("start again", "start", id);
        Step("delete while running", "delete", id);
        o.Add($"still: {s.StatusAndPid(id).Replace($"pid={pid}", "pid=PIDFILE")}");
        Step("pause", "pause", id);
        o.Add($"after pause: {s.Status(id)}");
        Step("pause again", "pause", id);
        Step("exec while paused", "exec", id, "true");
        Step("resume", "resume", id);
        o.Add($"after resume: {s.Status(id)}");
        Step("resume again", "resume", id);
        Step("kill KILL", "kill", id, "KILL");
        o.Add($"stopped within 10s: {s.WaitForStatus(id, "stopped", TimeSpan.FromSeconds(10))}");
        Step("pause when stopped", "pause", id);
        Step("resume when stopped", "resume", id);
        Step("start when stopped", "start", id);
        Step("exec when stopped", "exec", id, "true");
        Step("delete", "delete", id);
    },
    [
        "start: exit 0",
        "start again: exit 1, error: cannot start an already running container",
        "delete while running: exit 1, error: cannot delete container ID that is not stopped: running",
        "still: status=running pid=PIDFILE",
        "pause: exit 0",
        "after pause: paused",
        "pause again: exit 1, error: container not running",
        "exec while paused: exit 255, error: exec failed: cannot exec in a paused container (use --ignore-paused to override)",
        "resume: exit 0",
        "after resume: running",
        "resume again: exit 1, error: container not paused",
        "kill KILL: exit 0",
        "stopped within 10s: True",
        "pause when stopped: exit 1, error: container not running",
        "resume when stopped: exit 1, error: container not paused",
        "start when stopped: exit 1, error: cannot start a container that has stopped",
        "exec when stopped: exit 255, error: exec failed: cannot exec in a stopped container",
        "delete: exit 0",
    ]);

    /// <summary>
    /// runc pauses a *created* container too (it freezes the cgroup, init is not running yet):
    /// `state` says "paused", and after resume "created" again; start then works.
    /// </summary>
    [RootRequiredFact]
    public void PauseAndResumeOfCreatedContainer() => Scenario(fixture, (s, o) =>
    {
        var (id, _, _) = s.CreateContainer(["sleep", "100"]);
        o.Add($"pause: exit {s.Cli("pause", id).ExitCode}, then {s.Status(id)}");
        o.Add($"resume: exit {s.Cli("resume", id).ExitCode}, then {s.Status(id)}");
        o.Add($"start: exit {s.Cli("start", id).ExitCode}, then {s.Status(id)}");
    },
    [
        "pause: exit 0, then paused",
        "resume: exit 0, then created",
        "start: exit 0, then running",
    ]);

    /// <summary>
    /// `ps --format json`: stdout is exactly a JSON array of host pids, including the pid-file pid
    /// (the shim parses all of stdout). For a stopped container runc prints `null`, csrunsc `[]`:
    /// both decode to "no pids" in Go, which is all the shim does with it.
    /// </summary>
    [RootRequiredFact]
    public void PsFormatJson() => Scenario(fixture, (s, o) =>
    {
        var (id, _, pid) = s.CreateContainer(["sleep", "100"]);
        o.Add($"created: {Pids(s.Cli("ps", "--format", "json", id).Stdout, pid)}");
        s.Cli("start", id);
        o.Add($"running: {Pids(s.Cli("ps", "--format", "json", id).Stdout, pid)}");
        s.Cli("kill", id, "KILL");
        o.Add($"stopped within 10s: {s.WaitForStatus(id, "stopped", TimeSpan.FromSeconds(10))}");
        o.Add($"stopped: {Pids(s.Cli("ps", "--format", "json", id).Stdout, pid)}");
    },
    [
        "created: [PIDFILE]",
        "running: [PIDFILE]",
        "stopped within 10s: True",
        "stopped: no pids",
    ]);

    /// <summary>"[PIDFILE, +N others]", "no pids" (null or []), or what was wrong with stdout.</summary>
    internal static string Pids(string stdout, int pidFilePid)
    {
        try
        {
            using var document = JsonDocument.Parse(stdout);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Null)
            {
                return "no pids";
            }

            if (root.ValueKind != JsonValueKind.Array)
            {
                return $"not a JSON array: {Text(stdout)}";
            }

            var pids = root.EnumerateArray().Select(e => e.GetInt32()).ToList();
            if (pids.Count == 0)
            {
                return "no pids";
            }

            var others = pids.Count(p => p != pidFilePid);
            return (pids.Contains(pidFilePid) ? "[PIDFILE" : "[no PIDFILE") + (others > 0 ? $", +{others} others]" : "]");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return $"not JSON of ints ({e.Message}): {Text(stdout)}";
        }
    }
}
