using System.Globalization;

namespace Csrunsc.Sandbox;

/// <summary>One blkio entry of runc's stats (major:minor, "Read"/"Write"/..., value).</summary>
public readonly record struct BlkioEntry(ulong Major, ulong Minor, string Op, ulong Value);

/// <summary>
/// A cgroup's statistics read as runc 1.1.5's libcontainer does: cgroup v1 file names
/// (cgroups/fs) or v2's (cgroups/fs2: memory.current/max/stat, cpu.stat in µs, pids.current/max,
/// io.stat, memory.events). Pure over a file reader (null for a missing file), so both are unit
/// tested with sample file text. Unlimited is ulong.MaxValue as runc's GetCgroupParamUint reads
/// "max", except the pids limit, which runc reports as 0.
/// </summary>
public sealed class CgroupStats
{
    public ulong CpuTotal, CpuUser, CpuKernel, ThrottlingPeriods, ThrottledPeriods, ThrottledTime;
    public ulong MemoryUsage, MemoryMaxUsage, MemoryLimit, MemoryFailcnt, MemoryCache;
    public Dictionary<string, ulong> MemoryStat = new(StringComparer.Ordinal);
    public ulong PidsCurrent, PidsLimit;
    public List<BlkioEntry> IoServiceBytes = [], IoServiced = [];
    public ulong OomKills;

    /// <summary>USER_HZ ticks of cpuacct.stat in nanoseconds (runc's clockTicks 100).</summary>
    private const ulong NanosPerTick = 1_000_000_000 / 100;

    /// <summary>runc's GetCgroupParamUint: a number, "max" as ulong.MaxValue, a negative as 0; missing or bad text 0.</summary>
    public static ulong ParseUint(string? text)
    {
        string t = (text ?? "").Trim();
        if (t == "max") return ulong.MaxValue;
        if (ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out ulong v)) return v;
        return 0;
    }

    /// <summary>A flat keyed file ("key value" lines: memory.stat, cpu.stat, memory.events, memory.oom_control).</summary>
    public static Dictionary<string, ulong> ParseKeyValues(string? text)
    {
        var d = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var line in (text ?? "").Split('\n'))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 2 && ulong.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong v)) d[f[0]] = v;
        }
        return d;
    }

    private static bool TryDevice(string s, out ulong major, out ulong minor)
    {
        major = minor = 0;
        int colon = s.IndexOf(':');
        return colon > 0 && ulong.TryParse(s[..colon], CultureInfo.InvariantCulture, out major)
            && ulong.TryParse(s[(colon + 1)..], CultureInfo.InvariantCulture, out minor);
    }

    /// <summary>v2 io.stat ("MAJ:MIN rbytes=N wbytes=N rios=N wios=N ..."), as fs2's statIo: rbytes/wbytes into service bytes, rios/wios into serviced.</summary>
    public static void ParseIoStat(string? text, List<BlkioEntry> serviceBytes, List<BlkioEntry> serviced)
    {
        foreach (var line in (text ?? "").Split('\n'))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || !TryDevice(parts[0], out ulong major, out ulong minor)) continue;
            foreach (var item in parts[1..])
            {
                int eq = item.IndexOf('=');
                if (eq < 0 || !ulong.TryParse(item[(eq + 1)..], CultureInfo.InvariantCulture, out ulong v)) continue;
                switch (item[..eq])
                {
                    case "rbytes": serviceBytes.Add(new(major, minor, "Read", v)); break;
                    case "wbytes": serviceBytes.Add(new(major, minor, "Write", v)); break;
                    case "rios": serviced.Add(new(major, minor, "Read", v)); break;
                    case "wios": serviced.Add(new(major, minor, "Write", v)); break;
                }
            }
        }
    }

    /// <summary>v1 blkio's recursive files ("MAJ:MIN Op N" lines, a final "Total N" left out), as fs's getBlkioStat.</summary>
    public static List<BlkioEntry> ParseBlkioV1(string? text)
    {
        var list = new List<BlkioEntry>();
        foreach (var line in (text ?? "").Split('\n'))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 3 && TryDevice(f[0], out ulong major, out ulong minor) && ulong.TryParse(f[2], CultureInfo.InvariantCulture, out ulong v))
                list.Add(new(major, minor, f[1], v));
        }
        return list;
    }

    /// <summary>cgroup v1: <paramref name="read"/>(controller, file) is the file's text or null.</summary>
    public static CgroupStats ReadV1(Func<string, string, string?> read)
    {
        var s = new CgroupStats { CpuTotal = ParseUint(read("cpuacct", "cpuacct.usage")) };
        var acct = ParseKeyValues(read("cpuacct", "cpuacct.stat"));
        s.CpuUser = acct.GetValueOrDefault("user") * NanosPerTick;
        s.CpuKernel = acct.GetValueOrDefault("system") * NanosPerTick;
        var cpu = ParseKeyValues(read("cpu", "cpu.stat"));
        s.ThrottlingPeriods = cpu.GetValueOrDefault("nr_periods");
        s.ThrottledPeriods = cpu.GetValueOrDefault("nr_throttled");
        s.ThrottledTime = cpu.GetValueOrDefault("throttled_time");
        s.MemoryUsage = ParseUint(read("memory", "memory.usage_in_bytes"));
        s.MemoryMaxUsage = ParseUint(read("memory", "memory.max_usage_in_bytes"));
        s.MemoryLimit = ParseUint(read("memory", "memory.limit_in_bytes"));
        s.MemoryFailcnt = ParseUint(read("memory", "memory.failcnt"));
        s.MemoryStat = ParseKeyValues(read("memory", "memory.stat"));
        s.MemoryCache = s.MemoryStat.GetValueOrDefault("cache");
        s.OomKills = ParseKeyValues(read("memory", "memory.oom_control")).GetValueOrDefault("oom_kill");
        s.PidsCurrent = ParseUint(read("pids", "pids.current"));
        s.PidsLimit = ParsePidsLimit(read("pids", "pids.max"));
        // runc: the CFQ files when they have entries, else the throttle layer's.
        s.IoServiceBytes = ParseBlkioV1(read("blkio", "blkio.io_service_bytes_recursive"));
        s.IoServiced = ParseBlkioV1(read("blkio", "blkio.io_serviced_recursive"));
        if (s.IoServiceBytes.Count == 0 && s.IoServiced.Count == 0)
        {
            s.IoServiceBytes = ParseBlkioV1(read("blkio", "blkio.throttle.io_service_bytes_recursive"));
            s.IoServiced = ParseBlkioV1(read("blkio", "blkio.throttle.io_serviced_recursive"));
        }
        return s;
    }

    /// <summary>cgroup v2 (one directory): <paramref name="read"/>(file) is the file's text or null.</summary>
    public static CgroupStats ReadV2(Func<string, string?> read)
    {
        var s = new CgroupStats();
        var cpu = ParseKeyValues(read("cpu.stat"));
        s.CpuTotal = cpu.GetValueOrDefault("usage_usec") * 1000;
        s.CpuUser = cpu.GetValueOrDefault("user_usec") * 1000;
        s.CpuKernel = cpu.GetValueOrDefault("system_usec") * 1000;
        s.ThrottlingPeriods = cpu.GetValueOrDefault("nr_periods");
        s.ThrottledPeriods = cpu.GetValueOrDefault("nr_throttled");
        s.ThrottledTime = cpu.GetValueOrDefault("throttled_usec") * 1000;
        s.MemoryUsage = ParseUint(read("memory.current"));
        s.MemoryMaxUsage = ParseUint(read("memory.peak")); // kernels from 5.19, as runc 1.2 reads it (1.1.5: 0)
        s.MemoryLimit = read("memory.max") is { } max ? ParseUint(max) : 0;
        s.MemoryStat = ParseKeyValues(read("memory.stat"));
        s.MemoryCache = s.MemoryStat.GetValueOrDefault("file");
        var events = ParseKeyValues(read("memory.events"));
        // v2 has no failcnt: runc reports 0.
        s.OomKills = events.GetValueOrDefault("oom_kill");
        s.PidsCurrent = ParseUint(read("pids.current"));
        s.PidsLimit = ParsePidsLimit(read("pids.max"));
        ParseIoStat(read("io.stat"), s.IoServiceBytes, s.IoServiced);
        return s;
    }

    /// <summary>pids.max: "max" (no limit) is 0 in runc's stats.</summary>
    private static ulong ParsePidsLimit(string? text)
    {
        ulong v = ParseUint(text);
        return v == ulong.MaxValue ? 0 : v;
    }
}
