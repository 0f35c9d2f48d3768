using Csrunsc.Sandbox;
using Xunit;

namespace Csrunsc.Tests.Oci;

/// <summary>
/// `events` and the OOM poll read cgroup statistics with v1's or v2's file names
/// (Sandbox/CgroupStats.cs), as runc 1.1.5's libcontainer/cgroups fs and fs2 do. This host is
/// cgroup v1 (hybrid), so v2 is checked here with sample file text from a v2 kernel.
/// </summary>
public sealed class CgroupStatsTests
{
    private static readonly Dictionary<string, string> V2 = new()
    {
        ["memory.current"] = "10854400\n",
        ["memory.max"] = "max\n",
        ["memory.stat"] = "anon 4747264\nfile 5406720\nkernel_stack 49152\ninactive_file 3891200\npgfault 2079\n",
        ["memory.events"] = "low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n",
        ["cpu.stat"] = "usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\nnr_periods 10\nnr_throttled 4\nthrottled_usec 5000\n",
        ["pids.current"] = "7\n",
        ["pids.max"] = "max\n",
        ["io.stat"] = "8:0 rbytes=1048576 wbytes=4096 rios=16 wios=1 dbytes=0 dios=0\n253:1 rbytes=512 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n",
    };

    [Fact]
    public void ReadsV2FilesAsRuncsFs2()
    {
        var s = CgroupStats.ReadV2(f => V2.GetValueOrDefault(f));
        Assert.Equal(123456000UL, s.CpuTotal);
        Assert.Equal(100000000UL, s.CpuUser);
        Assert.Equal(23456000UL, s.CpuKernel);
        Assert.Equal((10UL, 4UL, 5000000UL), (s.ThrottlingPeriods, s.ThrottledPeriods, s.ThrottledTime));
        Assert.Equal(10854400UL, s.MemoryUsage);
        Assert.Equal(ulong.MaxValue, s.MemoryLimit); // "max", as GetCgroupParamUint
        Assert.Equal(0UL, s.MemoryMaxUsage); // no memory.peak on this kernel
        Assert.Equal(0UL, s.MemoryFailcnt); // v2 has none
        Assert.Equal(5406720UL, s.MemoryCache); // memory.stat's "file"
        Assert.Equal(3891200UL, s.MemoryStat["inactive_file"]);
        Assert.Equal(2UL, s.OomKills); // memory.events' oom_kill, not oom
        Assert.Equal(7UL, s.PidsCurrent);
        Assert.Equal(0UL, s.PidsLimit); // "max" is 0 for pids, as runc
        Assert.Equal([new(8, 0, "Read", 1048576), new(8, 0, "Write", 4096), new(253, 1, "Read", 512), new(253, 1, "Write", 0)], s.IoServiceBytes);
        Assert.Equal([new(8, 0, "Read", 16), new(8, 0, "Write", 1), new(253, 1, "Read", 1), new(253, 1, "Write", 0)], s.IoServiced);
    }

    [Fact]
    public void V2LimitsAndMissingFiles()
    {
        var limited = new Dictionary<string, string>(V2) { ["memory.max"] = "100663296\n", ["pids.max"] = "64\n", ["memory.peak"] = "20000000\n" };
        var s = CgroupStats.ReadV2(f => limited.GetValueOrDefault(f));
        Assert.Equal((100663296UL, 64UL, 20000000UL), (s.MemoryLimit, s.PidsLimit, s.MemoryMaxUsage));
        // A controller not enabled in the container's cgroup: its files are absent, its figures 0.
        var none = CgroupStats.ReadV2(_ => null);
        Assert.Equal((0UL, 0UL, 0UL, 0UL), (none.MemoryUsage, none.MemoryLimit, none.OomKills, none.CpuTotal));
        Assert.Empty(none.IoServiceBytes);
    }

    [Fact]
    public void ReadsV1FilesAsRuncsFs()
    {
        var v1 = new Dictionary<(string, string), string>
        {
            [("cpuacct", "cpuacct.usage")] = "987654321\n",
            [("cpuacct", "cpuacct.stat")] = "user 50\nsystem 20\n",
            [("cpu", "cpu.stat")] = "nr_periods 3\nnr_throttled 1\nthrottled_time 777\n",
            [("memory", "memory.usage_in_bytes")] = "2097152\n",
            [("memory", "memory.max_usage_in_bytes")] = "4194304\n",
            [("memory", "memory.limit_in_bytes")] = "9223372036854771712\n",
            [("memory", "memory.failcnt")] = "5\n",
            [("memory", "memory.stat")] = "cache 8192\nrss 4096\ntotal_cache 8192\n",
            [("memory", "memory.oom_control")] = "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n",
            [("pids", "pids.current")] = "2\n",
            [("pids", "pids.max")] = "max\n",
            [("blkio", "blkio.io_service_bytes_recursive")] = "Total 0\n",
            [("blkio", "blkio.throttle.io_service_bytes_recursive")] = "8:0 Read 4096\n8:0 Write 0\n8:0 Sync 0\n8:0 Async 4096\n8:0 Total 4096\nTotal 4096\n",
            [("blkio", "blkio.throttle.io_serviced_recursive")] = "8:0 Read 1\n8:0 Total 1\nTotal 1\n",
        };
        var s = CgroupStats.ReadV1((c, f) => v1.GetValueOrDefault((c, f)));
        Assert.Equal((987654321UL, 500000000UL, 200000000UL), (s.CpuTotal, s.CpuUser, s.CpuKernel)); // USER_HZ ticks
        Assert.Equal((3UL, 1UL, 777UL), (s.ThrottlingPeriods, s.ThrottledPeriods, s.ThrottledTime));
        Assert.Equal((2097152UL, 4194304UL, 9223372036854771712UL, 5UL, 8192UL), (s.MemoryUsage, s.MemoryMaxUsage, s.MemoryLimit, s.MemoryFailcnt, s.MemoryCache));
        Assert.Equal(1UL, s.OomKills);
        Assert.Equal((2UL, 0UL), (s.PidsCurrent, s.PidsLimit));
        Assert.Equal(5, s.IoServiceBytes.Count); // the throttle layer's, the CFQ file being empty; "Total N" left out
        Assert.Equal(new BlkioEntry(8, 0, "Read", 4096), s.IoServiceBytes[0]);
        Assert.Equal(2, s.IoServiced.Count);
    }

    [Fact]
    public void ParsesValuesAsGetCgroupParamUint()
    {
        Assert.Equal(ulong.MaxValue, CgroupStats.ParseUint("max\n"));
        Assert.Equal(42UL, CgroupStats.ParseUint(" 42\n"));
        Assert.Equal(0UL, CgroupStats.ParseUint(null));
        Assert.Equal(0UL, CgroupStats.ParseUint("-1"));
    }
}
