using System.Text.Json.Nodes;
using Xunit;
using static Csrunsc.Tests.Lifecycle.LifecycleCompare;

namespace Csrunsc.Tests.Lifecycle;

/// <summary>
/// linux.resources on the host's cgroup v1 hierarchies, runc as the oracle: the same bundle is
/// created under both and the container's cgroup files are read on the host side; refused values
/// give runc's exit status and cause (the text after runc's "error setting cgroup config" prefix),
/// and leave no cgroup directory behind. Each runtime gets its own cgroupsPath.
/// </summary>
[Collection(LifecycleCollection.Name)]
public sealed class CgroupResourceTests(LifecycleFixture fixture)
{
    private const string V1 = "/sys/fs/cgroup";

    private static string CgroupPath(LifecycleSession s, string id) => $"/csrunsc-cgtest/{s.Runtime}-{id}";

    private static Action<JsonObject> With(LifecycleSession s, string id, string resources) => c =>
    {
        c["linux"]!["cgroupsPath"] = CgroupPath(s, id);
        c["linux"]!["resources"] = JsonNode.Parse(resources);
    };

    private static string Read(string controller, string path, string file)
    {
        try { return File.ReadAllText(Path.Join(V1, controller, path, file)).Trim().Replace('\n', '|'); }
        catch (IOException) { return "(missing)"; }
    }

    /// <summary>Every field runc writes on v1 that this host has a controller for, read back from the host.</summary>
    [CgroupV1Fact]
    public void LimitsAreWrittenAsRuncWritesThem()
    {
        const string resources = """
            {"memory":{"limit":104857600,"reservation":52428800,"swap":209715200,"swappiness":30,"disableOOMKiller":true},
             "cpu":{"shares":512,"quota":50000,"period":100000,"cpus":"0","mems":"0"},
             "pids":{"limit":77},
             "blockIO":{"throttleReadBpsDevice":[{"major":7,"minor":0,"rate":1048576}],"throttleWriteIOPSDevice":[{"major":7,"minor":0,"rate":300}]}}
            """;
        string[] files =
        [
            "memory memory.limit_in_bytes", "memory memory.soft_limit_in_bytes", "memory memory.memsw.limit_in_bytes",
            "memory memory.swappiness", "memory memory.oom_control", "cpu cpu.shares", "cpu cpu.cfs_quota_us", "cpu cpu.cfs_period_us",
            "cpuset cpuset.cpus", "cpuset cpuset.mems", "pids pids.max", "blkio blkio.throttle.read_bps_device", "blkio blkio.throttle.write_iops_device",
        ];
        Scenario(fixture, (s, o) =>
        {
            var id = s.NewId();
            var r = s.Create(id, s.NewBundle(id, ["sleep", "100"], With(s, id, resources)));
            o.Add($"create: exit {r.ExitCode}");
            string path = CgroupPath(s, id);
            foreach (var f in files)
            {
                var (controller, file) = (f.Split(' ')[0], f.Split(' ')[1]);
                o.Add($"{file}: {Read(controller, path, file)}");
            }
            // `update` changes them in place (memory raised with swap: runc's write order).
            var u = s.Cli("update", "--memory", "150m", "--memory-swap", "300m", "--pids-limit", "99", "--cpu-quota", "20000", id);
            o.Add($"update: exit {u.ExitCode}");
            o.Add($"after update: {Read("memory", path, "memory.limit_in_bytes")} {Read("memory", path, "memory.memsw.limit_in_bytes")} {Read("pids", path, "pids.max")} {Read("cpu", path, "cpu.cfs_quota_us")}");
            s.Cli("delete", "--force", id);
            o.Add($"cgroup removed by delete: {!Directory.Exists(Path.Join(V1, "memory", path))}");
        },
        [
            "create: exit 0",
            "memory.limit_in_bytes: 104857600", "memory.soft_limit_in_bytes: 52428800", "memory.memsw.limit_in_bytes: 209715200",
            "memory.swappiness: 30", "memory.oom_control: oom_kill_disable 1|under_oom 0|oom_kill 0",
            "cpu.shares: 512", "cpu.cfs_quota_us: 50000", "cpu.cfs_period_us: 100000", "cpuset.cpus: 0", "cpuset.mems: 0", "pids.max: 77",
            "blkio.throttle.read_bps_device: 7:0 1048576", "blkio.throttle.write_iops_device: 7:0 300",
            "update: exit 0",
            "after update: 157286400 314572800 99 20000",
            "cgroup removed by delete: True",
        ]);
    }

    public static TheoryData<string, string> Refused => new()
    {
        { """{"memory":{"swappiness":200}}""", "invalid memory swappiness value: 200 (valid range is 0-100)" },
        { """{"memory":{"limit":104857600,"swap":52428800}}""", "failed to write \"52428800\": write /sys/fs/cgroup/memory/PATH/memory.memsw.limit_in_bytes: invalid argument" },
        { """{"cpu":{"shares":1}}""", "the minimum allowed cpu-shares is 2" },
        { """{"cpu":{"quota":500}}""", "failed to write \"500\": write /sys/fs/cgroup/cpu/PATH/cpu.cfs_quota_us: invalid argument" },
        { """{"hugepageLimits":[{"pageSize":"2MB","limit":2097152}]}""", "cannot set hugetlb limit: container could not join or create cgroup" },
        { """{"network":{"classID":1048577}}""", "cannot set net_cls limit: container could not join or create cgroup" },
        { """{"rdma":{"mlx5_1":{"hcaHandles":3}}}""", "cannot set rdma limit: container could not join or create cgroup" },
        { """{"unified":{"memory.high":"1000000"}}""", "invalid configuration: cannot use unified on cgroup v1" },
    };

    /// <summary>Values runc refuses on this host: create exits 1 with runc's cause, and nothing (no cgroup directory) is left.</summary>
    [CgroupV1Theory]
    [MemberData(nameof(Refused))]
    public void RefusedLikeRunc(string resources, string cause)
    {
        Scenario(fixture, (s, o) =>
        {
            var id = s.NewId();
            var r = s.Create(id, s.NewBundle(id, ["true"], With(s, id, resources)));
            string path = CgroupPath(s, id);
            string said = (r.Stderr + s.LastLogLine()?.Msg).Replace(path.TrimStart('/'), "PATH");
            o.Add($"create: exit {r.ExitCode}");
            o.Add($"says the cause: {said.Contains(cause, StringComparison.Ordinal)}");
            o.Add($"cgroup left: {Directory.Exists(Path.Join(V1, "memory", path)) || Directory.Exists(Path.Join(V1, "cpu", path))}");
        },
        ["create: exit 1", "says the cause: True", "cgroup left: False"]);
    }

    /// <summary>
    /// csrunsc alone: every host process of the sandbox (the sandbox, the gofer, the stubs) is in the
    /// container's cgroups from the start — none was left in the caller's (a process's memory is
    /// charged where it was when it touched it).
    /// </summary>
    [CgroupV1Fact]
    public void EverySandboxProcessStartsInTheContainersCgroup()
    {
        using var s = new LifecycleSession(fixture, LifecycleSession.Csrunsc);
        var id = s.NewId();
        var bundle = s.NewBundle(id, ["sh", "-c", "sleep 100 & sleep 100"], With(s, id, """{"pids":{"limit":50}}"""));
        var r = s.Create(id, bundle);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(0, s.Cli("start", id).ExitCode);
        int sandbox = LifecycleSession.ReadPid(LifecycleSession.PidFile(bundle));
        string path = CgroupPath(s, id);
        var inCgroup = new HashSet<int>();
        // The sandbox's descendants: the gofer and one stub per guest process (the shell execs the last sleep: two).
        var descendants = new List<int>();
        for (int tries = 0; tries < 50 && descendants.Count < 3; tries++)
        {
            Thread.Sleep(100);
            descendants = Integration.HostInspector.Descendants(sandbox);
        }
        foreach (var controller in new[] { "memory", "pids", "cpu", "blkio" })
        {
            var procs = File.ReadAllLines(Path.Join(V1, controller, path, "cgroup.procs")).Select(int.Parse).ToHashSet();
            Assert.Contains(sandbox, procs);
            foreach (int p in descendants) Assert.True(procs.Contains(p), $"process {p} ({File.ReadAllText($"/proc/{p}/comm").Trim()}) is not in {controller}:{path}");
        }
        Assert.True(descendants.Count >= 3, $"expected the gofer and two stubs under the sandbox, found {descendants.Count}");
    }
}

/// <summary>A root-only [Fact] that also needs the cgroup v1 hierarchies (skipped on a cgroup v2 host).</summary>
public sealed class CgroupV1FactAttribute : FactAttribute
{
    public CgroupV1FactAttribute() => Skip = CgroupV1.SkipReason;
}

/// <summary>A root-only [Theory] that also needs the cgroup v1 hierarchies.</summary>
public sealed class CgroupV1TheoryAttribute : TheoryAttribute
{
    public CgroupV1TheoryAttribute() => Skip = CgroupV1.SkipReason;
}

internal static class CgroupV1
{
    public static string? SkipReason =>
        !Differential.HostUser.IsRoot ? Differential.HostUser.NotRootSkipReason
        : !Directory.Exists("/sys/fs/cgroup/memory") || File.Exists("/sys/fs/cgroup/cgroup.controllers") ? "needs the cgroup v1 hierarchies (a v1 or hybrid host)"
        : null;
}
