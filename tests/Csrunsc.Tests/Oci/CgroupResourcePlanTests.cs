using System.Text.Json;
using Csrunsc.Sandbox;
using Xunit;

namespace Csrunsc.Tests.Oci;

/// <summary>
/// linux.resources → cgroup file writes, without a cgroup mount: v1 as runc's fs manager writes
/// (its order, its conversions, its errors), v2 as runc's fs2 manager converts the same fields.
/// The v1 half is also checked against runc on the host (Lifecycle/CgroupResourceTests.cs).
/// </summary>
public sealed class CgroupResourcePlanTests
{
    private static (List<string> Writes, List<string> Warnings, string? Error) V1(string json, string? currentLimit = null, params string[] present)
    {
        var writes = new List<CgroupWrite>();
        var warnings = new List<string>();
        using var doc = JsonDocument.Parse(json);
        var err = CgroupResourcePlan.ForV1(doc.RootElement, (c, f) => present.Contains($"{c}/{f}"), (c, f) => currentLimit, writes, warnings);
        return (writes.Select(w => $"{w.Controller}/{w.File}={w.Value}").ToList(), warnings, err);
    }

    private static (List<string> Writes, string? Error) V2(string json, params string[] present)
    {
        var writes = new List<CgroupWrite>();
        using var doc = JsonDocument.Parse(json);
        var err = CgroupResourcePlan.ForV2(doc.RootElement, f => present.Contains(f), writes, []);
        return (writes.Select(w => $"{w.File}={w.Value}").ToList(), err);
    }

    [Fact]
    public void V1SwapIsWrittenBeforeTheLimitWhenRaisingBoth()
    {
        // Current limit 100 MiB, new memsw 400 MiB: memsw first, or the kernel refuses limit > memsw.
        Assert.Equal(["memory/memory.memsw.limit_in_bytes=419430400", "memory/memory.limit_in_bytes=209715200"],
            V1("""{"memory":{"limit":209715200,"swap":419430400}}""", "104857600").Writes);
        // Lowering both (current above new memsw): limit first.
        Assert.Equal(["memory/memory.limit_in_bytes=52428800", "memory/memory.memsw.limit_in_bytes=104857600"],
            V1("""{"memory":{"limit":52428800,"swap":104857600}}""", "209715200").Writes);
        // Unlimited memory takes unlimited swap with it, where swap accounting exists.
        Assert.Equal(["memory/memory.memsw.limit_in_bytes=-1", "memory/memory.limit_in_bytes=-1"],
            V1("""{"memory":{"limit":-1}}""", "1000", "memory/memory.memsw.limit_in_bytes").Writes);
        Assert.Equal(["memory/memory.limit_in_bytes=-1"], V1("""{"memory":{"limit":-1}}""").Writes);
    }

    [Fact]
    public void V1ValuesAndRefusals()
    {
        Assert.Equal(["memory/memory.swappiness=0", "memory/memory.oom_control=1", "memory/memory.soft_limit_in_bytes=5"],
            V1("""{"memory":{"swappiness":0,"disableOOMKiller":true,"reservation":5}}""").Writes.OrderByDescending(w => w.Contains("swapp")).ThenByDescending(w => w.Contains("oom")).ToList());
        Assert.Empty(V1("""{"memory":{"swappiness":-1}}""").Writes); // the old "unset"
        Assert.Equal("invalid memory swappiness value: 101 (valid range is 0-100)", V1("""{"memory":{"swappiness":101}}""").Error);
        Assert.Equal([CgroupResourcePlan.KernelMemoryIgnored], V1("""{"memory":{"kernel":1000}}""").Warnings);
        Assert.NotNull(V1("""{"memory":{"useHierarchy":false}}""").Error);
        Assert.Empty(V1("""{"pids":{"limit":0}}""").Writes);
        Assert.Equal(["pids/pids.max=max"], V1("""{"pids":{"limit":-1}}""").Writes);
        Assert.Equal(["cpuset/cpuset.cpus=0-1", "cpu/cpu.shares=1024", "cpu/cpu.cfs_period_us=50000", "cpu/cpu.cfs_quota_us=-1", "cpu/cpu.rt_runtime_us=950"],
            V1("""{"cpu":{"cpus":"0-1","shares":1024,"period":50000,"quota":-1,"realtimeRuntime":950}}""").Writes);
        Assert.Equal("invalid configuration: cannot use unified on cgroup v1", V1("""{"unified":{"memory.high":"5"}}""").Error);
        Assert.Empty(V1("""{"unified":{}}""").Writes);
    }

    [Fact]
    public void V1BlockIoUsesBfqFilesWhereCfqIsGone()
    {
        const string bio = """{"blockIO":{"weight":300,"weightDevice":[{"major":8,"minor":0,"weight":200}],"throttleWriteBpsDevice":[{"major":8,"minor":0,"rate":4096}]}}""";
        Assert.Equal(["blkio/blkio.bfq.weight=300", "blkio/blkio.bfq.weight_device=8:0 200", "blkio/blkio.throttle.write_bps_device=8:0 4096"], V1(bio).Writes);
        Assert.Equal(["blkio/blkio.weight=300", "blkio/blkio.weight_device=8:0 200", "blkio/blkio.throttle.write_bps_device=8:0 4096"], V1(bio, null, "blkio/blkio.weight").Writes);
    }

    [Fact]
    public void V1HugetlbNetworkAndRdma()
    {
        Assert.Equal(["hugetlb/hugetlb.2MB.limit_in_bytes=4194304", "hugetlb/hugetlb.2MB.rsvd.limit_in_bytes=4194304"],
            V1("""{"hugepageLimits":[{"pageSize":"2MB","limit":4194304}]}""", null, "hugetlb/hugetlb.2MB.rsvd.limit_in_bytes").Writes);
        Assert.Equal(["net_cls/net_cls.classid=1048577", "net_prio/net_prio.ifpriomap=eth0 5"],
            V1("""{"network":{"classID":1048577,"priorities":[{"name":"eth0","priority":5}]}}""").Writes);
        Assert.Equal(["rdma/rdma.max=mlx5_1 hca_handle=3 hca_object=100"], V1("""{"rdma":{"mlx5_1":{"hcaHandles":3,"hcaObjects":100}}}""").Writes);
    }

    [Fact]
    public void V2ConvertsTheV1Fields()
    {
        // memory.swap.max is swap alone: memsw 300 - memory 100.
        Assert.Equal(["memory.swap.max=200", "memory.max=100", "memory.low=50"], V2("""{"memory":{"limit":100,"swap":300,"reservation":50}}""", "memory.swap.max").Writes);
        Assert.Equal(["memory.swap.max=0", "memory.max=100"], V2("""{"memory":{"limit":100,"swap":100}}""", "memory.swap.max").Writes);
        Assert.Equal(["memory.swap.max=max", "memory.max=max"], V2("""{"memory":{"limit":-1,"swap":-1}}""", "memory.swap.max").Writes);
        Assert.Equal(["memory.max=max"], V2("""{"memory":{"limit":-1,"swap":-1}}""").Writes); // no swap accounting: nothing to say
        Assert.Equal("memory+swap limit should be >= memory limit", V2("""{"memory":{"limit":100,"swap":50}}""").Error);
        Assert.Equal("unable to set swap limit without memory limit", V2("""{"memory":{"swap":50}}""").Error);
        Assert.NotNull(V2("""{"memory":{"swappiness":10}}""").Error);
        Assert.NotNull(V2("""{"memory":{"disableOOMKiller":true}}""").Error);
        Assert.Empty(V2("""{"memory":{"swappiness":-1}}""").Writes);
        // cpu.weight from shares (1024 → 39), cpu.max "quota period".
        Assert.Equal(["cpu.weight=39", "cpu.max=50000 100000", "cpuset.cpus=0"], V2("""{"cpu":{"shares":1024,"quota":50000,"period":100000,"cpus":"0"}}""").Writes);
        Assert.Equal(["cpu.max=max 100000"], V2("""{"cpu":{"quota":-1,"period":100000}}""").Writes);
        Assert.Equal(["cpu.weight=1"], V2("""{"cpu":{"shares":2}}""").Writes);
        Assert.Equal(["cpu.weight=10000"], V2("""{"cpu":{"shares":262144}}""").Writes);
        Assert.NotNull(V2("""{"cpu":{"realtimeRuntime":5}}""").Error);
        Assert.Equal(["pids.max=max"], V2("""{"pids":{"limit":-1}}""").Writes);
        // io.weight from blkio.weight (10..1000 → 1..10000), io.max per device.
        Assert.Equal(["io.weight=5000", "io.max=8:0 rbps=4096", "io.max=8:0 wiops=10"],
            V2("""{"blockIO":{"weight":505,"throttleReadBpsDevice":[{"major":8,"minor":0,"rate":4096}],"throttleWriteIOPSDevice":[{"major":8,"minor":0,"rate":10}]}}""").Writes);
        Assert.Equal(["io.bfq.weight=505"], V2("""{"blockIO":{"weight":505}}""", "io.bfq.weight").Writes);
        Assert.Equal(["hugetlb.1GB.max=1073741824"], V2("""{"hugepageLimits":[{"pageSize":"1GB","limit":1073741824}]}""").Writes);
        Assert.NotNull(V2("""{"network":{"classID":5}}""").Error);
        Assert.Equal(["memory.high=1000000", "cgroup.freeze=0"], V2("""{"unified":{"memory.high":"1000000","cgroup.freeze":"0"}}""").Writes);
        Assert.NotNull(V2("""{"unified":{"../memory.max":"1"}}""").Error);
    }
}
