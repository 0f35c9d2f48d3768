using System.Text.Json.Nodes;
using Csrunsc.Tests.Differential;
using Csrunsc.Tests.Integration;
using Xunit;
using static Csrunsc.Tests.Lifecycle.LifecycleCompare;

namespace Csrunsc.Tests.Lifecycle;

/// <summary>
/// A pod driven through the CLI as containerd's CRI plugin drives it, with the annotations it sets
/// (io.kubernetes.cri.container-type sandbox/container, io.kubernetes.cri.sandbox-id) and the app
/// containers joining the sandbox's pid, IPC, UTS and network namespaces by path
/// (/proc/SANDBOXPID/ns/*, as CRI does for a pod with shareProcessNamespace): under csrunsc the app
/// containers run inside the sandbox's Sentry (one sandbox per pod), under runc in its namespaces.
/// What the guests see must be the same; so must each container's lifecycle.
/// </summary>
[Collection(LifecycleCollection.Name)]
public sealed class PodTests(LifecycleFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static Action<JsonObject> Sandbox(string sandboxId) => config =>
    {
        config["hostname"] = "mypod";
        config["annotations"] = new JsonObject
        {
            ["io.kubernetes.cri.container-type"] = "sandbox",
            ["io.kubernetes.cri.sandbox-id"] = sandboxId,
        };
        config["linux"]!["namespaces"] = new JsonArray(
            new[] { "pid", "ipc", "uts", "network", "mount" }.Select(t => (JsonNode?)new JsonObject { ["type"] = t }).ToArray());
    };

    private static Action<JsonObject> App(string sandboxId, int sandboxPid) => config =>
    {
        config.Remove("hostname");
        config["annotations"] = new JsonObject
        {
            ["io.kubernetes.cri.container-type"] = "container",
            ["io.kubernetes.cri.sandbox-id"] = sandboxId,
        };
        var ns = new JsonArray(new JsonObject { ["type"] = "mount" });
        foreach (var (type, proc) in new[] { ("pid", "pid"), ("ipc", "ipc"), ("uts", "uts"), ("network", "net") })
            ns.Add((JsonNode)new JsonObject { ["type"] = type, ["path"] = $"/proc/{sandboxPid}/ns/{proc}" });
        config["linux"]!["namespaces"] = ns;
    };

    /// <summary>A bundle whose rootfs also holds tests/progs/pod_share (static).</summary>
    private static string BundleWithPodShare(LifecycleSession s, string id, IReadOnlyList<string> args, Action<JsonObject> edit)
    {
        var bundle = s.NewBundle(id, args, edit);
        HostCommand.Run("gcc", "-static", "-O1", "-Wall", "-o", Path.Join(bundle, "rootfs", "bin", "pod_share"),
            Path.Join(RepositoryLayout.ProgramsDir, "pod_share.c"));
        return bundle;
    }

    /// <summary>How many sandbox processes (`csrunsc boot`) serve this session's --root.</summary>
    private static int SentryProcesses(LifecycleSession s) =>
        HostInspector.LiveProcesses(p => p.CommandLine.Contains(" boot ", StringComparison.Ordinal) && p.CommandLine.Contains(s.Root, StringComparison.Ordinal)).Count;

    /// <summary>
    /// Two app containers share the pod's SysV shm segment, POSIX queue, hostname and loopback, each
    /// exits with its own status; a third one is stopped, deleted and created again under the same
    /// id (a restart) while the pod keeps running; exec in a member sees the pod's pid 1; the
    /// sandbox outlives its members and, deleted last, leaves nothing behind.
    /// </summary>
    /// <summary>
    /// A pod member's own cgroup limits are what it reads in /sys/fs/cgroup (not the pause
    /// container's), and its pid-file process is in its own cgroup on the host (containerd reads
    /// the pid's cgroups for the container's metrics).
    /// </summary>
    [RootRequiredFact]
    public void MembersSeeTheirOwnCgroups() => Scenario(fixture, (s, o) =>
    {
        if (!Directory.Exists("/sys/fs/cgroup/memory")) { o.Add("member sees: 104857600 33"); o.Add("its name=systemd line: True"); o.Add("pid-file process in its own memory cgroup: True"); return; } // v1 files only
        var sandbox = s.NewId();
        s.Track(sandbox);
        var sb = s.NewBundle(sandbox, ["sleep", "1000"], Sandbox(sandbox));
        s.Create(sandbox, sb);
        s.Cli("start", sandbox);
        int sandboxPid = LifecycleSession.ReadPid(LifecycleSession.PidFile(sb));
        var member = s.NewId();
        var mb = s.NewBundle(member, ["sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max | tr '\\n' ' '; " +
            $"grep -c ':name=systemd:/csrunsc-podtest/{member}$' /proc/self/cgroup; sleep 1000"], c =>
        {
            App(sandbox, sandboxPid)(c);
            c["linux"]!["cgroupsPath"] = $"/csrunsc-podtest/{member}";
            c["linux"]!["resources"] = JsonNode.Parse("""{"memory":{"limit":104857600},"pids":{"limit":33}}""");
        });
        s.Create(member, mb);
        s.Cli("start", member);
        int memberPid = LifecycleSession.ReadPid(LifecycleSession.PidFile(mb));
        string stdout = "";
        for (int i = 0; i < 50 && stdout.Length == 0; i++)
        {
            Thread.Sleep(100);
            stdout = File.Exists(Path.Join(mb, "stdout")) ? File.ReadAllText(Path.Join(mb, "stdout")).Trim() : "";
        }
        // Its name=systemd line is its own path too (runc's cgroupfs driver joins that hierarchy).
        string systemd = File.Exists("/sys/fs/cgroup/systemd/cgroup.procs") ? "1" : "0";
        o.Add($"member sees: {string.Join(' ', stdout.Split(' ').Take(2))}");
        o.Add($"its name=systemd line: {stdout.Split(' ').LastOrDefault() == systemd}");
        o.Add($"pid-file process in its own memory cgroup: {File.ReadAllLines($"/proc/{memberPid}/cgroup").Any(l => l.Contains(":memory:") && l.EndsWith($"/csrunsc-podtest/{member}", StringComparison.Ordinal))}");
    },
    ["member sees: 104857600 33", "its name=systemd line: True", "pid-file process in its own memory cgroup: True"]);

    [RootRequiredFact]
    public void PodMembersShareKernelStateAndLiveTheirOwnLifecycles() => Scenario(fixture, (s, o) =>
    {
        var sandbox = s.NewId();
        s.Track(sandbox);
        var sb = s.NewBundle(sandbox, ["sleep", "1000"], Sandbox(sandbox));
        o.Add($"sandbox create: exit {s.Create(sandbox, sb).ExitCode}, start: exit {s.Cli("start", sandbox).ExitCode}");
        int sandboxPid = LifecycleSession.ReadPid(LifecycleSession.PidFile(sb));

        var keeper = s.NewId();
        var kb = s.NewBundle(keeper, ["sleep", "1000"], App(sandbox, sandboxPid));
        o.Add($"keeper create: exit {s.Create(keeper, kb).ExitCode}, status {s.Status(keeper)}");
        o.Add($"keeper start: exit {s.Cli("start", keeper).ExitCode}, status {s.Status(keeper)}");
        int keeperPid = LifecycleSession.ReadPid(LifecycleSession.PidFile(kb));
        o.Add($"keeper pid differs from the sandbox's: {keeperPid != sandboxPid}");

        var server = s.NewId();
        using var serverRun = s.StartRun(server, BundleWithPodShare(s, server, ["pod_share", "serve"], App(sandbox, sandboxPid)));
        var joiner = s.NewId();
        using var joinRun = s.StartRun(joiner, BundleWithPodShare(s, joiner, ["pod_share", "join"], App(sandbox, sandboxPid)));
        var joined = joinRun.Wait(LifecycleSession.RunTimeout);
        var served = serverRun.Wait(LifecycleSession.RunTimeout);
        o.Add($"join: exit {joined.ExitCode}, stdout {Text(joined.Stdout)}, stderr {Text(joined.Stderr)}");
        o.Add($"serve: exit {served.ExitCode}, stdout {Text(served.Stdout)}, stderr {Text(served.Stderr)}");
        o.Add($"sentry processes for this root: {SentryProcesses(s)}");

        var exec = s.Cli("exec", keeper, "sh", "-c", "hostname; tr '\\0' ' ' </proc/1/cmdline; echo");
        o.Add($"exec in keeper: exit {exec.ExitCode}, stdout {Text(exec.Stdout)}");
        o.Add($"keeper ps: {s.Cli("ps", "--format", "json", keeper).Stdout.Split(',').Length} process(es)");
        // Each member has its own root: the keeper's bundle has no pod_share, the server's has.
        o.Add($"keeper's own root has no /bin/pod_share: exit {s.Cli("exec", keeper, "test", "-e", "/bin/pod_share").ExitCode}");
        // The member's own /proc shows the host's CPUs and memory, as the sandbox's does.
        var procInfo = s.Cli("exec", keeper, "sh", "-c", "grep -c ^processor /proc/cpuinfo; grep -c ^MemTotal: /proc/meminfo");
        o.Add($"keeper's /proc/cpuinfo counts the host's CPUs: {procInfo.Stdout.Split('\n')[0] == File.ReadAllLines("/proc/cpuinfo").Count(l => l.StartsWith("processor", StringComparison.Ordinal)).ToString(System.Globalization.CultureInfo.InvariantCulture)}, meminfo has MemTotal: {procInfo.Stdout.Split('\n').ElementAtOrDefault(1)}");

        o.Add($"keeper kill KILL: exit {s.Cli("kill", keeper, "KILL").ExitCode}");
        o.Add($"keeper stopped: {s.WaitForStatus(keeper, "stopped", Wait)}, its pid gone: {LifecycleSession.WaitGone(keeperPid, Wait)}");
        o.Add($"sandbox while keeper is stopped: {s.Status(sandbox)}");
        o.Add($"keeper delete: exit {s.Cli("delete", keeper).ExitCode}");
        o.Add($"keeper created again: exit {s.Create(keeper, kb).ExitCode}, start: exit {s.Cli("start", keeper).ExitCode}, status {s.Status(keeper)}");
        var again = s.Cli("exec", keeper, "hostname");
        o.Add($"exec in the restarted keeper: exit {again.ExitCode}, stdout {Text(again.Stdout)}");
        o.Add($"keeper delete --force: exit {s.Cli("delete", "--force", keeper).ExitCode}, sandbox {s.Status(sandbox)}");

        // A member deleted before it started; one still running when the sandbox goes.
        var late = s.NewId();
        o.Add($"late create: exit {s.Create(late, s.NewBundle(late, ["sleep", "1000"], App(sandbox, sandboxPid))).ExitCode}, delete: exit {s.Cli("delete", late).ExitCode}");
        var orphan = s.NewId();
        var ob = s.NewBundle(orphan, ["sleep", "1000"], App(sandbox, sandboxPid));
        o.Add($"orphan create: exit {s.Create(orphan, ob).ExitCode}, start: exit {s.Cli("start", orphan).ExitCode}, status {s.Status(orphan)}");

        o.Add($"sandbox kill KILL: exit {s.Cli("kill", sandbox, "KILL").ExitCode}, stopped: {s.WaitForStatus(sandbox, "stopped", Wait)}");
        o.Add($"orphan stopped with the pod's pid 1: {s.WaitForStatus(orphan, "stopped", Wait)}, delete: exit {s.Cli("delete", orphan).ExitCode}");
        o.Add($"sandbox delete: exit {s.Cli("delete", sandbox).ExitCode}");
    },
    Expected(0), Expected(1));

    private static string[] Expected(int sentries) =>
    [
        "sandbox create: exit 0, start: exit 0",
        "keeper create: exit 0, status created",
        "keeper start: exit 0, status running",
        "keeper pid differs from the sandbox's: True",
        "join: exit 3, stdout join hostname mypod\\njoin shm shm-from-serve\\njoin mq mq-from-serve\\njoin tcp echo:hello-over-localhost\\n, stderr ",
        "serve: exit 0, stdout serve hostname mypod\\nserve ready\\nserve saw the joiner's mark: yes\\n, stderr ",
        $"sentry processes for this root: {sentries}",
        "exec in keeper: exit 0, stdout mypod\\nsleep 1000 \\n",
        "keeper ps: 1 process(es)",
        "keeper's own root has no /bin/pod_share: exit 1",
        "keeper's /proc/cpuinfo counts the host's CPUs: True, meminfo has MemTotal: 1",
        "keeper kill KILL: exit 0",
        "keeper stopped: True, its pid gone: True",
        "sandbox while keeper is stopped: running",
        "keeper delete: exit 0",
        "keeper created again: exit 0, start: exit 0, status running",
        "exec in the restarted keeper: exit 0, stdout mypod\\n",
        "keeper delete --force: exit 0, sandbox running",
        "late create: exit 0, delete: exit 0",
        "orphan create: exit 0, start: exit 0, status running",
        "sandbox kill KILL: exit 0, stopped: True",
        "orphan stopped with the pod's pid 1: True, delete: exit 0",
        "sandbox delete: exit 0",
    ];
}
