using System.Text.Json;
using Csrunsc.Tests.Differential;
using Xunit;

namespace Csrunsc.Tests.Integration;

/// <summary>
/// The parts of the runtime's CLI contract that containerd and podman rely on but that their
/// happy paths above do not reach: `kill` in the *created* state (containerd's `task rm -f` of a
/// never-started task; runsc refuses it and the shim hangs), `state` JSON as podman reads it,
/// `ps --format json` output that is exactly a JSON array of host pids, and `delete --force` of
/// a container that does not exist. Driven like the shim: cwd = bundle, global
/// `--root R --log B/log.json --log-format json`, create's stdio = the container's (files here).
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class RuntimeCliTests(IntegrationFixture fixture)
{
    [RuntimeCliTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public void KillInCreatedStateStatePsAndForceDelete(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var rt = session.Runtime;
        var root = Path.Join(rt.ScratchDir, "cli-root");
        var timeout = TimeSpan.FromSeconds(15);

        CommandResult Call(string bundle, params string[] args)
        {
            var result = Shell.Run(timeout, "bash",
                ["-c", "cd \"$1\" && shift && exec \"$@\" </dev/null 2>>\"$PWD/stderr\"", "cli", bundle, rt.Binary,
                 "--root", root, "--log", Path.Join(bundle, "log.json"), "--log-format", "json", .. args]);
            return session.Note(result);
        }

        CommandResult Create(string id, params string[] args)
        {
            var bundle = Path.Join(rt.ScratchDir, "cli-" + id);
            Shell.Run(TimeSpan.FromMinutes(1), "bash", [Path.Join(RepositoryLayout.AssetsDir, "make-bundle.sh"), bundle, .. args])
                .EnsureSuccess("make-bundle.sh");
            session.OnCleanup(() => Shell.Run(TimeSpan.FromSeconds(10), rt.Executable, ["--root", root, "delete", "--force", id]));
            session.AddDiagnostics(() => $"--- {id}: log.json ---\n{ReadOrEmpty(Path.Join(bundle, "log.json"))}\n--- {id}: stderr ---\n{ReadOrEmpty(Path.Join(bundle, "stderr"))}");
            // Like the shim: the container's stdio are create's; here a file for stdout.
            var result = session.Note(Shell.Run(timeout, "bash",
                ["-c", "cd \"$1\" && shift && exec \"$@\" </dev/null >>\"$PWD/stdout\" 2>>\"$PWD/stderr\"", "cli", bundle, rt.Binary,
                 "--root", root, "--log", Path.Join(bundle, "log.json"), "--log-format", "json",
                 "create", "--bundle", bundle, "--pid-file", Path.Join(bundle, "init.pid"), id]));
            session.ExpectSuccess(result, $"create {id}");
            return result;
        }

        JsonElement State(string bundle, string id)
        {
            var state = session.ExpectSuccess(Call(bundle, "state", id), $"state {id}");
            try
            {
                return JsonDocument.Parse(state.Stdout).RootElement.Clone();
            }
            catch (JsonException e)
            {
                session.Fail($"state {id} should print one JSON object: {e.Message}\n{state}");
                throw;
            }
        }

        int PidOf(string bundle) => int.Parse(File.ReadAllText(Path.Join(bundle, "init.pid")).Trim());

        // 1. kill in the created state, then delete.
        var created = session.NewId("cli-created");
        var createdBundle = Path.Join(rt.ScratchDir, "cli-" + created);
        Create(created, "sh", "-c", "echo must-not-run");
        var createdPid = PidOf(createdBundle);
        var createdState = State(createdBundle, created);
        session.Check(createdState.GetProperty("status").GetString() == "created" && createdState.GetProperty("pid").GetInt32() == createdPid,
            $"state after create should say status \"created\" and pid {createdPid}: {createdState}");
        session.ExpectSuccess(Call(createdBundle, "kill", created, "9"), "kill ID 9 in the created state");
        session.WaitFor(() => !HostInspector.IsAlive(createdPid), TimeSpan.FromSeconds(10),
            () => $"the created container's process {createdPid} should die from `kill ID 9`");
        session.Check(State(createdBundle, created).GetProperty("status").GetString() == "stopped",
            $"state after kill should say \"stopped\": {State(createdBundle, created)}");
        session.ExpectSuccess(Call(createdBundle, "delete", created), "delete of the killed container");
        session.Check(!ReadOrEmpty(Path.Join(createdBundle, "stdout")).Contains("must-not-run", StringComparison.Ordinal),
            "the never-started container's process ran");

        // 2. a running container: state, ps --format json, kill --all, delete.
        var running = session.NewId("cli-running");
        var runningBundle = Path.Join(rt.ScratchDir, "cli-" + running);
        Create(running, "sleep", "1000");
        var pid = PidOf(runningBundle);
        session.ExpectSuccess(Call(runningBundle, "start", running), "start");
        var runningState = State(runningBundle, running);
        session.Check(runningState.GetProperty("status").GetString() == "running" && runningState.GetProperty("pid").GetInt32() == pid,
            $"state after start should say status \"running\" and pid {pid}: {runningState}");
        var ps = session.ExpectSuccess(Call(runningBundle, "ps", "--format", "json", running), "ps --format json");
        int[]? pids = null;
        try
        {
            using var document = JsonDocument.Parse(ps.Stdout);
            pids = document.RootElement.ValueKind == JsonValueKind.Array
                ? [.. document.RootElement.EnumerateArray().Select(e => e.GetInt32())]
                : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
        }

        session.Check(pids is not null && pids.Contains(pid),
            $"ps --format json should print exactly a JSON array of host pids including the init pid {pid} (the shim parses all of stdout):\n{ps}");
        session.ExpectSuccess(Call(runningBundle, "kill", "--all", running, "9"), "kill --all ID 9");
        session.WaitFor(() => !HostInspector.IsAlive(pid), TimeSpan.FromSeconds(10), () => $"init {pid} should die from kill --all 9");
        session.ExpectSuccess(Call(runningBundle, "delete", running), "delete of the stopped container");

        // 3. delete --force of containers that no longer / never existed.
        session.ExpectSuccess(Call(runningBundle, "delete", "--force", running), "delete --force of a deleted container");
        session.ExpectSuccess(Call(runningBundle, "delete", "--force", session.NewId("never-existed")), "delete --force of an unknown container");
        session.AssertNothingLeft([created, running], [createdPid, pid], [Path.Join(rt.ScratchDir, "cli-root")]);
    }

    private static string ReadOrEmpty(string path) => File.Exists(path) ? File.ReadAllText(path) : "";
}
