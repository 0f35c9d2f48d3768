using System.Text.Json.Nodes;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// The container's own cgroups as a program inside sees them (what the JVM, Go's maxprocs
/// libraries and node read to size themselves): /sys/fs/cgroup/CONTROLLER holds the limits
/// config.json set, read-only; /proc/self/cgroup's path for a hierarchy is the root of its mount
/// in mountinfo (how those runtimes find the files). runc bind-mounts the host's directories;
/// csrunsc reads through to them (Fs/Cgroup/HostCgroupView.cs).
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class CgroupViewTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void LimitsAreVisibleAndReadOnly()
    {
        if (!Directory.Exists("/sys/fs/cgroup/memory")) return; // a cgroup v2 host: the v1 files below do not exist there
        static void Edit(JsonObject c) => c["linux"]!["resources"] = JsonNode.Parse(
            """{"memory":{"limit":104857600},"cpu":{"quota":50000,"period":100000,"shares":256},"pids":{"limit":55}}""");
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, Edit, "sh", "-c",
            "ls /sys/fs/cgroup | grep -v systemd; cd /sys/fs/cgroup; cat memory/memory.limit_in_bytes cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpu/cpu.shares pids/pids.max; " +
            "test $(cat memory/memory.usage_in_bytes) -gt 0 && echo usage counted; " +
            "(echo 5 > pids/pids.max) 2>&1 | grep -c 'Read-only'; " +
            "for c in memory cpu pids; do p=$(grep \":$c:\" /proc/self/cgroup | cut -d: -f3); grep -c \" $p /sys/fs/cgroup/$c .* - cgroup cgroup rw,$c\\$\" /proc/self/mountinfo; done");
        Assert.Equal("blkio\ncpu\ncpuacct\ncpuset\ndevices\nfreezer\nmemory\npids\n104857600\n50000\n100000\n256\n55\nusage counted\n1\n1\n1\n1\n", runc.Stdout);
    }

    /// <summary>
    /// runc's cgroupfs driver makes and joins the container's path in the name=systemd hierarchy
    /// and, on a hybrid host, the unified one too: /proc/self/cgroup shows it on those lines, and the
    /// cgroup mount has a name=systemd mount rooted there. (Each run gets its own cgroupsPath: with
    /// none, runc's path is relative to its caller's cgroup, csrunsc's is /csrunsc/ID.)
    /// </summary>
    [RootRequiredFact]
    public void NamedSystemdAndUnifiedHierarchiesAreJoined()
    {
        static void Edit(JsonObject c) => c["linux"]!["cgroupsPath"] = "/csrunsc-cgview/" + Guid.NewGuid().ToString("N");
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, Edit, "sh", "-c",
            "p=$(grep ':pids:' /proc/self/cgroup | cut -d: -f3); " +
            "grep -E ':name=systemd:|^0::' /proc/self/cgroup | sed \"s|:$p\\$|:PATH|\"; " +
            "ls /sys/fs/cgroup | grep systemd; grep -c \" $p /sys/fs/cgroup/systemd .* - cgroup cgroup rw,name=systemd\\$\" /proc/self/mountinfo");
        if (File.Exists("/sys/fs/cgroup/systemd/cgroup.procs"))
            Assert.Contains(":name=systemd:PATH\n", runc.Stdout);
    }
}
