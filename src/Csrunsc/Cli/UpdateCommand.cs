using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Csrunsc.Sandbox;
using Csrunsc.State;

namespace Csrunsc.Cli;

/// <summary>`update [--resources FILE|-] [--memory N --cpu-shares N ...] ID`: applies cgroup limits to the sandbox.</summary>
public static class UpdateCommand
{
    public static int Run(string[] args, GlobalOptions global)
    {
        var a = CommandArgs.Parse(args, ["resources|r", "memory", "memory-reservation", "memory-swap", "kernel-memory", "kernel-memory-tcp",
            "cpu-shares", "cpu-quota", "cpu-period", "cpu-rt-period", "cpu-rt-runtime", "cpuset-cpus", "cpuset-mems", "pids-limit", "blkio-weight", "l3-cache-schema", "mem-bw-schema"], [], out string? error);
        var store = new StateStore(global.Root);
        var state = error is null ? Containers.Find(store, Containers.IdArg(a), out error) : null;
        if (state is null) return Fail(error!);
        if (StateStore.CurrentStatus(state) == "stopped") return Fail("container not running");
        JsonNode resources;
        try
        {
            if (a.Value("resources") is { } r)
            {
                string json = r == "-" ? Console.In.ReadToEnd() : File.ReadAllText(r);
                resources = JsonNode.Parse(json) ?? new JsonObject();
            }
            else
            {
                resources = new JsonObject();
            }
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return Fail("unable to parse the resources: " + e.Message);
        }
        string? badFlag = null;
        void Set(string group, string key, string flag)
        {
            if (a.Value(flag) is not { } v) return;
            resources[group] ??= new JsonObject();
            if (key is "cpus" or "mems") resources[group]![key] = v;
            else if ((group == "memory" ? ParseBytes(v) : long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) ? n : null) is { } value)
                resources[group]![key] = value;
            else badFlag ??= $"invalid value for {flag}: {v}";
        }
        // No Intel RDT here (resctrl): refused as runc refuses it on such a host.
        if (a.Value("l3-cache-schema") is not null) return Fail("Intel RDT/CAT: l3 cache schema is not enabled");
        if (a.Value("mem-bw-schema") is not null) return Fail("Intel RDT/MBA: memory bandwidth schema is not enabled");
        Set("memory", "limit", "memory");
        Set("memory", "reservation", "memory-reservation");
        Set("memory", "swap", "memory-swap");
        Set("memory", "kernel", "kernel-memory");
        Set("memory", "kernelTCP", "kernel-memory-tcp");
        Set("cpu", "realtimePeriod", "cpu-rt-period");
        Set("cpu", "realtimeRuntime", "cpu-rt-runtime");
        Set("cpu", "shares", "cpu-shares");
        Set("cpu", "quota", "cpu-quota");
        Set("cpu", "period", "cpu-period");
        Set("cpu", "cpus", "cpuset-cpus");
        Set("cpu", "mems", "cpuset-mems");
        Set("pids", "limit", "pids-limit");
        Set("blockIO", "weight", "blkio-weight");
        if (badFlag is not null) return Fail(badFlag);
        using var doc = JsonDocument.Parse(resources.ToJsonString());
        if (Cgroups.Apply(state.Cgroups, doc.RootElement) is { } err) return Fail(err);
        return 0;
    }

    /// <summary>runc's units.RAMInBytes: a number with an optional k/m/g/t/p suffix (1024-based, "b" optional); -1 is unlimited.</summary>
    internal static long? ParseBytes(string v)
    {
        string t = v.Trim().ToLowerInvariant();
        if (t.EndsWith('b')) t = t[..^1];
        long mult = 1;
        if (t.Length > 0 && "kmgtp".IndexOf(t[^1]) is int i and >= 0)
        {
            mult = 1L << (10 * (i + 1));
            t = t[..^1];
        }
        if (!decimal.TryParse(t, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal d)) return null;
        if (d == -1 && mult == 1) return -1;
        if (d < 0) return null;
        try { return (long)(d * mult); }
        catch (OverflowException) { return null; }
    }

    private static int Fail(string error)
    {
        Log.Error(error);
        return 1;
    }
}
