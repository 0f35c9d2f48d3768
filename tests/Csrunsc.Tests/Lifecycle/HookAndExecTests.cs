using System.Text.Json.Nodes;
using Csrunsc.Tests.Differential;
using Csrunsc.Tests.Integration;
using Xunit;
using static Csrunsc.Tests.Lifecycle.LifecycleCompare;

namespace Csrunsc.Tests.Lifecycle;

/// <summary>OCI hooks' order and the state they see; `exec` of a running (and a created) container.</summary>
[Collection(LifecycleCollection.Name)]
public sealed class HookAndExecTests(LifecycleFixture fixture)
{
    private static readonly string[] HookNames = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"];

    /// <summary>
    /// Each hook appends "NAME STATUS" (STATUS from the state JSON on its stdin) to LOG. runc runs
    /// startContainer inside the container after pivot_root, where /bin/sh is busybox's: LOG's
    /// directory is bind-mounted into the container at the same path so that every hook, host or
    /// container, appends to the same file. csrunsc runs all hooks on the host.
    /// </summary>
    private static Action<JsonObject> WithHooks(string logDir) => config =>
    {
        var log = Path.Join(logDir, "hooks.log");
        JsonObject Hook(string name) => new()
        {
            ["path"] = "/bin/sh",
            ["args"] = new JsonArray("sh", "-c",
                $"s=$(tr -d ' \\n'); s=${{s#*\\\"status\\\":\\\"}}; echo {name} ${{s%%\\\"*}} >> {log}"),
            ["env"] = new JsonArray("PATH=/usr/sbin:/usr/bin:/sbin:/bin"),
            ["timeout"] = 10,
        };
        var hooks = new JsonObject();
        foreach (var name in HookNames)
        {
            hooks[name] = new JsonArray(Hook(name));
        }

        config["hooks"] = hooks;
        config["mounts"]!.AsArray().Add((JsonNode)new JsonObject
        {
            ["destination"] = logDir, ["type"] = "bind", ["source"] = logDir, ["options"] = new JsonArray("rbind", "rw"),
        });
    };

    private static void ObserveHooks(LifecycleSession s, List<string> o, bool withStatus)
    {
        var id = s.NewId();
        var logDir = Path.Join(s.Dir, "hooks-" + id);
        Directory.CreateDirectory(logDir);
        var log = Path.Join(logDir, "hooks.log");
        var seen = 0;
        string NewLines()
        {
            var lines = File.Exists(log) ? File.ReadAllLines(log) : [];
            var fresh = lines.Skip(seen).Select(l => withStatus ? l.Trim() : l.Split(' ')[0]);
            seen = lines.Length;
            return string.Join(", ", fresh);
        }

        var bundle = s.NewBundle(id, ["sh", "-c", "sleep 0.3"], WithHooks(logDir));
        o.Add($"create: exit {s.Create(id, bundle).ExitCode}; hooks: {NewLines()}");
        o.Add($"start: exit {s.Cli("start", id).ExitCode}; hooks: {NewLines()}");
        o.Add($"stopped within 10s: {s.WaitForStatus(id, "stopped", TimeSpan.FromSeconds(10))}; hooks: {NewLines()}");
        o.Add($"delete: exit {s.Cli("delete", id).ExitCode}; hooks: {NewLines()}");
    }

    /// <summary>
    /// The hooks run in the OCI order: prestart, createRuntime, createContainer during create;
    /// startContainer, poststart during start; poststop during delete. runc 1.1.5 runs poststart
    /// at the end of *create* (its `start()` runs them when init is set up, before `runc start`)
    /// — csrunsc follows the spec and runs them after `start` released init.
    /// </summary>
    [RootRequiredFact]
    public void HooksRunInOrder() => Scenario(fixture, (s, o) => ObserveHooks(s, o, withStatus: false),
    [
        "create: exit 0; hooks: prestart, createRuntime, createContainer, poststart",
        "start: exit 0; hooks: startContainer",
        "stopped within 10s: True; hooks: ",
        "delete: exit 0; hooks: poststop",
    ],
    [
        "create: exit 0; hooks: prestart, createRuntime, createContainer",
        "start: exit 0; hooks: startContainer, poststart",
        "stopped within 10s: True; hooks: ",
        "delete: exit 0; hooks: poststop",
    ]);

    /// <summary>
    /// The state each hook gets on stdin: "creating" during create (runc), "created" for
    /// startContainer, "stopped" for poststop. poststart sees "created" in runc 1.1.5 because it
    /// runs during create (see <see cref="HooksRunInOrder"/>); after a real start csrunsc says "running".
    /// </summary>
    [RootRequiredFact]
    public void HooksSeeTheContainerStatus() => Scenario(fixture, (s, o) => ObserveHooks(s, o, withStatus: true),
    [
        "create: exit 0; hooks: prestart creating, createRuntime creating, createContainer creating, poststart created",
        "start: exit 0; hooks: startContainer created",
        "stopped within 10s: True; hooks: ",
        "delete: exit 0; hooks: poststop stopped",
    ],
    [
        "create: exit 0; hooks: prestart creating, createRuntime creating, createContainer creating",
        "start: exit 0; hooks: startContainer created, poststart running",
        "stopped within 10s: True; hooks: ",
        "delete: exit 0; hooks: poststop stopped",
    ]);

    /// <summary>
    /// exec's security options are answered, not ignored: an SELinux label and (on a host without
    /// AppArmor) a profile fail as under runc, with exit status 255.
    /// </summary>
    [RootRequiredFact]
    public void ExecSecurityLabelsAreRefusedWithoutTheirLsm() => Scenario(fixture, (s, o) =>
    {
        if (Csrunsc.Oci.ConfigFields.AppArmorEnabled()) { o.Add("--process-label: exit 255"); o.Add("--apparmor: exit 255"); return; }
        var (id, _, _) = s.CreateContainer(["sleep", "100"]);
        s.Cli("start", id);
        o.Add($"--process-label: exit {s.Cli("exec", "--process-label", "system_u:system_r:container_t:s0", id, "true").ExitCode}");
        o.Add($"--apparmor: exit {s.Cli("exec", "--apparmor", "docker-default", id, "true").ExitCode}");
    },
    ["--process-label: exit 255", "--apparmor: exit 255"]);

    /// <summary>
    /// A failing poststart or poststop hook is a warning and the hooks after it still run (the OCI
    /// rule), for csrunsc alone: runc 1.1.5 stops at the first failure — a failing poststart even
    /// makes `create` fail and destroys the container, a failing poststop skips the rest silently.
    /// </summary>
    [RootRequiredFact]
    public void FailingPoststartAndPoststopWarnAndTheRestRun()
    {
        using var s = new LifecycleSession(fixture, LifecycleSession.Csrunsc);
        var id = s.NewId();
        var log = Path.Join(s.Dir, "after-failure-" + id);
        JsonArray Hooks(string name) => new(
            new JsonObject { ["path"] = "/bin/false" },
            new JsonObject { ["path"] = "/bin/sh", ["args"] = new JsonArray("sh", "-c", $"echo {name} >> {log}") });
        var bundle = s.NewBundle(id, ["true"], c => c["hooks"] = new JsonObject { ["poststart"] = Hooks("poststart"), ["poststop"] = Hooks("poststop") });
        Assert.Equal(0, s.Create(id, bundle).ExitCode);
        Assert.Equal(0, s.Cli("start", id).ExitCode);
        Assert.True(s.WaitForStatus(id, "stopped", TimeSpan.FromSeconds(10)));
        Assert.Equal(0, s.Cli("delete", id).ExitCode);
        var warnings = File.ReadAllLines(s.LogFile).Where(l => l.Contains("\"level\":\"warning\"", StringComparison.Ordinal) && l.Contains("hook #0", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Contains("error running poststart hook #0 /bin/false: exit status 1", warnings[0]);
        Assert.Contains("error running poststop hook #0 /bin/false: exit status 1", warnings[1]);
        Assert.Equal(["poststart", "poststop"], File.ReadAllLines(log));
        Assert.Empty(s.CleanUpAndListLeftovers());
    }

    /// <summary>
    /// exec in a created container (runc allows it: the exec'd process runs while init waits for
    /// start), then in a running one: output and exit status come back, --env/--cwd/--user apply,
    /// a failed exec exits 255 with "exec failed: ..." (<see cref="FailedExecSaysWhy"/>).
    /// </summary>
    [RootRequiredFact]
    public void ExecOutputStatusAndOptions() => Scenario(fixture, (s, o) =>
    {
        var (id, _, _) = s.CreateContainer(["sleep", "100"]);
        var created = s.Cli("exec", id, "sh", "-c", "echo created-exec");
        o.Add($"exec in created state: exit {created.ExitCode}, stdout {Text(created.Stdout)}");
        o.Add($"start: exit {s.Cli("start", id).ExitCode}");
        var hi = s.Cli("exec", id, "sh", "-c", "echo hi; exit 5");
        o.Add($"sh -c 'echo hi; exit 5': exit {hi.ExitCode}, stdout {Text(hi.Stdout)}");
        var opts = s.Cli("exec", "--env", "FOO=bar", "--cwd", "/tmp", "--user", "1000:1000", id, "sh", "-c", "id -u; id -g; pwd; echo $FOO");
        o.Add($"--env FOO=bar --cwd /tmp --user 1000:1000: exit {opts.ExitCode}, stdout {Text(opts.Stdout)}");
        var killed = s.Cli("exec", id, "sh", "-c", "kill -9 $$");
        o.Add($"sh -c 'kill -9 $$' (not PID 1): exit {killed.ExitCode}");
        o.Add($"init still running: {s.Status(id)}");
    },
    [
        "exec in created state: exit 0, stdout created-exec\\n",
        "start: exit 0",
        "sh -c 'echo hi; exit 5': exit 5, stdout hi\\n",
        "--env FOO=bar --cwd /tmp --user 1000:1000: exit 0, stdout 1000\\n1000\\n/tmp\\nbar\\n",
        "sh -c 'kill -9 $$' (not PID 1): exit 137",
        "init still running: running",
    ]);

    /// <summary>
    /// An exec whose program does not exist fails with exit 255 and a log msg "exec failed: ..."
    /// naming the program and the cause (runc: `unable to start container process: exec:
    /// "/nonexistent": stat /nonexistent: no such file or directory`), every time, foreground
    /// and --detach alike.
    /// </summary>
    [RootRequiredFact]
    public void FailedExecSaysWhy() => Scenario(fixture, (s, o) =>
    {
        var (id, bundle, _) = s.CreateContainer(["sleep", "100"]);
        o.Add($"start: exit {s.Cli("start", id).ExitCode}");
        for (var i = 1; i <= 4; i++)
        {
            s.ClearLog();
            var detach = i % 2 == 0;
            var result = detach
                ? s.CliToFiles(Path.Join(bundle, "exec.out"), Path.Join(bundle, "exec.err"), "exec", "--detach", id, "/nonexistent")
                : s.Cli("exec", id, "/nonexistent");
            var msg = s.LastLogLine()?.Msg ?? "";
            o.Add($"exec {(detach ? "--detach " : "")}/nonexistent #{i}: exit {result.ExitCode}, " +
                  $"exec failed: {msg.StartsWith("exec failed: ", StringComparison.Ordinal)}, names it: {msg.Contains("/nonexistent", StringComparison.Ordinal)}, " +
                  $"no such file: {msg.Contains("no such file or directory", StringComparison.Ordinal)}");
        }

        o.Add($"init still running: {s.Status(id)}");
    },
    [
        "start: exit 0",
        "exec /nonexistent #1: exit 255, exec failed: True, names it: True, no such file: True",
        "exec --detach /nonexistent #2: exit 255, exec failed: True, names it: True, no such file: True",
        "exec /nonexistent #3: exit 255, exec failed: True, names it: True, no such file: True",
        "exec --detach /nonexistent #4: exit 255, exec failed: True, names it: True, no such file: True",
        "init still running: running",
    ]);

    /// <summary>
    /// `exec --detach --pid-file P` (how the shim execs): returns promptly, P names a live host
    /// process, `ps` lists one more pid, and the process is gone soon after `sleep 2` ends.
    /// csrunsc's P is its exec proxy (signals to it reach the guest process, its exit status is
    /// the guest's) and `ps` lists the sandbox's stub pids, so only the count of pids is compared.
    /// </summary>
    [RootRequiredFact]
    public void ExecDetachWithPidFile() => Scenario(fixture, (s, o) =>
    {
        var (id, bundle, pid) = s.CreateContainer(["sleep", "100"]);
        o.Add($"start: exit {s.Cli("start", id).ExitCode}");
        var pidFile = Path.Join(bundle, "exec.pid");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var exec = s.CliToFiles(Path.Join(bundle, "exec.out"), Path.Join(bundle, "exec.err"),
            "exec", "--detach", "--pid-file", pidFile, id, "sleep", "2");
        var returnedPromptly = clock.Elapsed < TimeSpan.FromSeconds(1.5);
        var execPid = LifecycleSession.TryReadPid(pidFile) ?? -1;
        if (execPid > 0)
        {
            s.TrackPid(execPid);
        }

        o.Add($"exec --detach: exit {exec.ExitCode}, returned before the process ended: {returnedPromptly}");
        o.Add($"pid file names a live process: {HostInspector.IsAlive(execPid)}, not init: {execPid != pid}");
        o.Add($"ps: {ErrorTests.Pids(s.Cli("ps", "--format", "json", id).Stdout, pid)}");
        o.Add($"exec process gone within 6s: {LifecycleSession.WaitGone(execPid, TimeSpan.FromSeconds(6))}");
        o.Add($"init still running: {s.Status(id)}");
    },
    [
        "start: exit 0",
        "exec --detach: exit 0, returned before the process ended: True",
        "pid file names a live process: True, not init: True",
        "ps: [PIDFILE, +1 others]",
        "exec process gone within 6s: True",
        "init still running: running",
    ]);
}
