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
        void Set(string group, string key, string? flag)
        {
            if (a.Value(flag!) is not { } v) return;
            resources[group] ??= new JsonObject();
            if (long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n)) resources[group]![key] = n;
            else resources[group]![key] = v;
        }
        Set("memory", "limit", "memory");
        Set("memory", "reservation", "memory-reservation");
        Set("cpu", "shares", "cpu-shares");
        Set("cpu", "quota", "cpu-quota");
        Set("cpu", "period", "cpu-period");
        Set("cpu", "cpus", "cpuset-cpus");
        Set("cpu", "mems", "cpuset-mems");
        Set("pids", "limit", "pids-limit");
        Set("blockIO", "weight", "blkio-weight");
        using var doc = JsonDocument.Parse(resources.ToJsonString());
        if (Cgroups.Apply(state.Cgroups, doc.RootElement) is { } err) return Fail(err);
        return 0;
    }

    private static int Fail(string error)
    {
        Log.Error(error);
        return 1;
    }
}
