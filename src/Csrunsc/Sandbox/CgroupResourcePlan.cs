using System.Globalization;
using System.Text.Json;

namespace Csrunsc.Sandbox;

/// <summary>One write of a cgroup interface file: controller (v1 hierarchy name; "" on v2), file, value.</summary>
public readonly record struct CgroupWrite(string Controller, string File, string Value);

/// <summary>
/// What config.json's linux.resources (or `update`) writes, as runc writes it: the files, values
/// and order of runc's fs (cgroup v1) and fs2 (v2) managers, or runc's error for a value it
/// refuses. Pure: the host is only read through `exists`/`read`, so the mapping is unit-tested
/// without a cgroup mount. linux.resources.devices is not here: the Sentry enforces it on open
/// (the sandbox's host processes never open guest devices).
/// </summary>
public static class CgroupResourcePlan
{
    /// <summary>Warnings runc prints for fields it accepts without effect on this kernel.</summary>
    public const string KernelMemoryIgnored = "Kernel memory settings are ignored and will be removed";

    /// <summary>
    /// cgroup v1 writes (runc's libcontainer/cgroups/fs Set, in its subsystem order). exists(controller,
    /// file) says whether a file exists in the container's cgroup of that controller (false: the
    /// controller is not mounted either); read gives a current value (memory.limit_in_bytes for the
    /// swap/limit ordering). Returns null, or runc's error.
    /// </summary>
    public static string? ForV1(JsonElement r, Func<string, string, bool> exists, Func<string, string, string?> read,
        List<CgroupWrite> writes, List<string> warnings)
    {
        if (r.ValueKind != JsonValueKind.Object) return null;
        void W(string c, string f, string v) => writes.Add(new CgroupWrite(c, f, v));

        if (Obj(r, "cpu") is { } cpu)
        {
            if (Str(cpu, "cpus") is { Length: > 0 } cs) W("cpuset", "cpuset.cpus", cs);
            if (Str(cpu, "mems") is { Length: > 0 } ms) W("cpuset", "cpuset.mems", ms);
        }

        if (Obj(r, "memory") is { } mem)
        {
            long limit = Long(mem, "limit") ?? 0, swap = Long(mem, "swap") ?? 0;
            if (limit == -1 && swap == 0 && exists("memory", "memory.memsw.limit_in_bytes")) swap = -1;
            bool swapFirst = false;
            if (limit != 0 && swap != 0)
            {
                // Raising both: swap first, or the kernel refuses a limit above memsw (runc's order).
                ulong cur = ulong.TryParse(read("memory", "memory.limit_in_bytes"), NumberStyles.None, CultureInfo.InvariantCulture, out ulong c) ? c : 0;
                swapFirst = swap == -1 || cur < (ulong)swap;
            }
            if (swapFirst && swap != 0) W("memory", "memory.memsw.limit_in_bytes", I(swap));
            if (limit != 0) W("memory", "memory.limit_in_bytes", I(limit));
            if (!swapFirst && swap != 0) W("memory", "memory.memsw.limit_in_bytes", I(swap));
            if (Long(mem, "kernel") is { } k && k != 0) warnings.Add(KernelMemoryIgnored);
            if (Long(mem, "kernelTCP") is { } kt && kt != 0) W("memory", "memory.kmem.tcp.limit_in_bytes", I(kt));
            if (Long(mem, "reservation") is { } res && res != 0) W("memory", "memory.soft_limit_in_bytes", I(res));
            if (Bool(mem, "disableOOMKiller") == true) W("memory", "memory.oom_control", "1");
            if (Bool(mem, "useHierarchy") == false) return "memory.useHierarchy=false is not supported: the kernel's memory cgroups are always hierarchical";
            if (mem.TryGetProperty("swappiness", out var sw) && sw.ValueKind == JsonValueKind.Number)
            {
                // runc reads it as uint64: -1 (the "unset" of older specs) wraps and means "leave it".
                ulong s = sw.TryGetUInt64(out ulong u) ? u : sw.TryGetInt64(out long l) ? unchecked((ulong)l) : ulong.MaxValue;
                if (s != ulong.MaxValue)
                {
                    if (s > 100) return $"invalid memory swappiness value: {s} (valid range is 0-100)";
                    W("memory", "memory.swappiness", U(s));
                }
            }
        }

        if (Obj(r, "cpu") is { } c2)
        {
            ulong shares = ULong(c2, "shares") ?? 0, period = ULong(c2, "period") ?? 0;
            long quota = Long(c2, "quota") ?? 0;
            if (shares != 0) W("cpu", "cpu.shares", U(shares));
            if (period != 0) W("cpu", "cpu.cfs_period_us", U(period));
            if (quota != 0) W("cpu", "cpu.cfs_quota_us", I(quota));
            if (ULong(c2, "burst") is { } burst) W("cpu", "cpu.cfs_burst_us", U(burst));
            if (Long(c2, "idle") is { } idle && idle != 0) W("cpu", "cpu.idle", I(idle));
            if (ULong(c2, "realtimePeriod") is { } rp && rp != 0) W("cpu", "cpu.rt_period_us", U(rp));
            if (Long(c2, "realtimeRuntime") is { } rr && rr != 0) W("cpu", "cpu.rt_runtime_us", I(rr));
        }

        if (Obj(r, "pids") is { } pids && Long(pids, "limit") is { } pl && pl != 0)
            W("pids", "pids.max", pl > 0 ? I(pl) : "max");

        if (Obj(r, "blockIO") is { } bio)
        {
            // BFQ's files where the legacy CFQ ones are gone (runc's detectWeightFilenames).
            bool cfq = exists("blkio", "blkio.weight");
            string weightFile = cfq ? "blkio.weight" : "blkio.bfq.weight", weightDevFile = cfq ? "blkio.weight_device" : "blkio.bfq.weight_device";
            if (ULong(bio, "weight") is { } w && w != 0) W("blkio", weightFile, U(w));
            if (ULong(bio, "leafWeight") is { } lw && lw != 0) W("blkio", "blkio.leaf_weight", U(lw));
            foreach (var d in Arr(bio, "weightDevice"))
            {
                if (ULong(d, "weight") is { } dw && dw != 0) W("blkio", weightDevFile, $"{Dev(d)} {dw}");
                if (ULong(d, "leafWeight") is { } dl && dl != 0) W("blkio", "blkio.leaf_weight_device", $"{Dev(d)} {dl}");
            }
            foreach (var (key, file) in Throttles)
                foreach (var d in Arr(bio, key))
                    W("blkio", "blkio.throttle." + file, $"{Dev(d)} {ULong(d, "rate") ?? 0}");
        }

        foreach (var h in Arr(r, "hugepageLimits"))
        {
            string size = Str(h, "pageSize") ?? "";
            W("hugetlb", $"hugetlb.{size}.limit_in_bytes", U(ULong(h, "limit") ?? 0));
            if (exists("hugetlb", $"hugetlb.{size}.rsvd.limit_in_bytes")) W("hugetlb", $"hugetlb.{size}.rsvd.limit_in_bytes", U(ULong(h, "limit") ?? 0));
        }

        if (Obj(r, "network") is { } net)
        {
            if (ULong(net, "classID") is { } id && id != 0) W("net_cls", "net_cls.classid", U(id));
            foreach (var p in Arr(net, "priorities"))
                W("net_prio", "net_prio.ifpriomap", $"{Str(p, "name")} {ULong(p, "priority") ?? 0}");
        }

        if (Obj(r, "rdma") is { } rdma)
            foreach (var dev in rdma.EnumerateObject())
                if (RdmaLine(dev.Name, dev.Value) is { } line) W("rdma", "rdma.max", line);

        if (Obj(r, "unified") is { } unified && unified.EnumerateObject().Any())
            return "invalid configuration: cannot use unified on cgroup v1";
        return null;
    }

    /// <summary>
    /// cgroup v2 writes (runc's fs2 manager; its value conversions). Files are relative to the
    /// container's one cgroup directory; Controller names the controller the file needs enabled
    /// in the parents' cgroup.subtree_control.
    /// </summary>
    public static string? ForV2(JsonElement r, Func<string, bool> exists, List<CgroupWrite> writes, List<string> warnings)
    {
        if (r.ValueKind != JsonValueKind.Object) return null;
        void W(string c, string f, string v) => writes.Add(new CgroupWrite(c, f, v));

        if (Obj(r, "pids") is { } pids && Long(pids, "limit") is { } pl && pl != 0)
            W("pids", "pids.max", pl > 0 ? I(pl) : "max");

        if (Obj(r, "memory") is { } mem)
        {
            long limit = Long(mem, "limit") ?? 0, swap = Long(mem, "swap") ?? 0;
            // memory.swap.max counts swap alone; OCI's swap is memory+swap (ConvertMemorySwapToCgroupV2Value).
            string? swapMax = null;
            if (swap == -1 || (swap != 0 && limit == -1)) swapMax = "max";
            else if (swap != 0)
            {
                if (limit == 0) return "unable to set swap limit without memory limit";
                if (limit < 0) return $"invalid memory value: {limit}";
                if (swap < limit) return "memory+swap limit should be >= memory limit";
                swapMax = I(swap - limit);
            }
            // A host without swap accounting: "max" and "0" are what it has anyway (runc skips them).
            if (swapMax is not null && (exists("memory.swap.max") || swapMax is not ("max" or "0"))) W("memory", "memory.swap.max", swapMax);
            if (limit != 0) W("memory", "memory.max", V2Num(limit));
            if (Long(mem, "reservation") is { } res && res != 0) W("memory", "memory.low", V2Num(res));
            if (Long(mem, "kernel") is { } k && k != 0) warnings.Add(KernelMemoryIgnored);
            if (Long(mem, "kernelTCP") is { } kt && kt != 0) return "linux.resources.memory.kernelTCP is not supported on cgroup v2";
            if (Bool(mem, "disableOOMKiller") == true) return "linux.resources.memory.disableOOMKiller is not supported on cgroup v2";
            if (mem.TryGetProperty("swappiness", out var sw) && sw.ValueKind == JsonValueKind.Number && !(sw.TryGetInt64(out long s) && s == -1))
                return "linux.resources.memory.swappiness is not supported on cgroup v2";
        }

        if (Obj(r, "cpu") is { } cpu)
        {
            if (ULong(cpu, "realtimePeriod") is > 0 || Long(cpu, "realtimeRuntime") is { } rr && rr != 0)
                return "realtime is not supported on cgroup v2 (linux.resources.cpu.realtimePeriod/realtimeRuntime)";
            if (ULong(cpu, "shares") is { } shares && shares != 0)
                W("cpu", "cpu.weight", U(shares < 2 ? 1 : shares > 262144 ? 10000 : 1 + (shares - 2) * 9999 / 262142));
            if (Long(cpu, "idle") is { } idle && idle != 0) W("cpu", "cpu.idle", I(idle));
            long quota = Long(cpu, "quota") ?? 0;
            ulong period = ULong(cpu, "period") ?? 0;
            if (quota != 0 || period != 0)
            {
                string max = quota > 0 ? I(quota) : "max";
                W("cpu", "cpu.max", period != 0 ? $"{max} {period}" : max);
            }
            if (ULong(cpu, "burst") is { } burst) W("cpu", "cpu.max.burst", U(burst));
            if (Str(cpu, "cpus") is { Length: > 0 } cs) W("cpuset", "cpuset.cpus", cs);
            if (Str(cpu, "mems") is { Length: > 0 } ms) W("cpuset", "cpuset.mems", ms);
        }

        if (Obj(r, "blockIO") is { } bio)
        {
            bool bfq = exists("io.bfq.weight");
            if (ULong(bio, "weight") is { } w && w != 0)
                W("io", bfq ? "io.bfq.weight" : "io.weight", U(bfq ? w : 1 + (w - 10) * 9999 / 990));
            if (ULong(bio, "leafWeight") is > 0) return "linux.resources.blockIO.leafWeight is not supported on cgroup v2";
            foreach (var d in Arr(bio, "weightDevice"))
                if (ULong(d, "weight") is { } dw && dw != 0)
                {
                    if (!bfq) return "linux.resources.blockIO.weightDevice needs the BFQ I/O scheduler (io.bfq.weight) on cgroup v2";
                    W("io", "io.bfq.weight", $"{Dev(d)} {dw}");
                }
            foreach (var (key, file) in Throttles)
            {
                string name = file switch
                {
                    "read_bps_device" => "rbps", "write_bps_device" => "wbps", "read_iops_device" => "riops", _ => "wiops",
                };
                foreach (var d in Arr(bio, key)) W("io", "io.max", $"{Dev(d)} {name}={ULong(d, "rate") ?? 0}");
            }
        }

        foreach (var h in Arr(r, "hugepageLimits"))
        {
            string size = Str(h, "pageSize") ?? "";
            W("hugetlb", $"hugetlb.{size}.max", U(ULong(h, "limit") ?? 0));
            if (exists($"hugetlb.{size}.rsvd.max")) W("hugetlb", $"hugetlb.{size}.rsvd.max", U(ULong(h, "limit") ?? 0));
        }

        if (Obj(r, "rdma") is { } rdma)
            foreach (var dev in rdma.EnumerateObject())
                if (RdmaLine(dev.Name, dev.Value) is { } line) W("rdma", "rdma.max", line);

        if (Obj(r, "network") is { } net && (ULong(net, "classID") is > 0 || Arr(net, "priorities").Any()))
            return "linux.resources.network (net_cls/net_prio) is not supported on cgroup v2";

        if (Obj(r, "unified") is { } unified)
        {
            foreach (var kv in unified.EnumerateObject())
            {
                if (kv.Name.Contains('/') || kv.Name.StartsWith('.'))
                    return $"unified resource \"{kv.Name}\" must be a file name (no '/')";
                string controller = kv.Name.Split('.')[0];
                W(controller is "cgroup" ? "" : controller, kv.Name, kv.Value.ValueKind == JsonValueKind.String ? kv.Value.GetString()! : kv.Value.GetRawText());
            }
        }
        return null;
    }

    private static readonly (string Key, string File)[] Throttles =
    [
        ("throttleReadBpsDevice", "read_bps_device"), ("throttleWriteBpsDevice", "write_bps_device"),
        ("throttleReadIOPSDevice", "read_iops_device"), ("throttleWriteIOPSDevice", "write_iops_device"),
    ];

    private static string? RdmaLine(string device, JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.Object) return null;
        var parts = new List<string>();
        if (ULong(v, "hcaHandles") is { } h) parts.Add("hca_handle=" + U(h));
        if (ULong(v, "hcaObjects") is { } o) parts.Add("hca_object=" + U(o));
        return parts.Count == 0 ? null : device + " " + string.Join(' ', parts);
    }

    /// <summary>runc's numToStr for v2: -1 is "max".</summary>
    private static string V2Num(long v) => v == -1 ? "max" : I(v);

    private static string Dev(JsonElement d) => $"{Long(d, "major") ?? 0}:{Long(d, "minor") ?? 0}";
    private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);
    private static string U(ulong v) => v.ToString(CultureInfo.InvariantCulture);

    private static JsonElement? Obj(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    private static IEnumerable<JsonElement> Arr(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray() : [];

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long? Long(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long l) ? l : null;

    private static ulong? ULong(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetUInt64(out ulong l) ? l : null;

    private static bool? Bool(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;
}
