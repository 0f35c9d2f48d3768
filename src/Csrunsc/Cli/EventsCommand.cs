using System.Globalization;
using System.Text;
using Csrunsc.Sandbox;
using Csrunsc.State;

namespace Csrunsc.Cli;

/// <summary>`events [--stats] [--interval 5s] ID`: resource usage from the sandbox's cgroups, as JSON lines.</summary>
public static class EventsCommand
{
    public static int Run(string[] args, GlobalOptions global)
    {
        var a = CommandArgs.Parse(args, ["interval"], ["stats"], out string? error);
        var store = new StateStore(global.Root);
        var state = error is null ? Containers.Find(store, Containers.IdArg(a), out error) : null;
        if (state is null)
        {
            Log.Error(error!);
            return 1;
        }
        if (StateStore.CurrentStatus(state) == "stopped")
        {
            Log.Error("container not running");
            return 1;
        }
        var interval = ParseInterval(a.Value("interval") ?? "5s");
        while (true)
        {
            Native.Libc.WriteString(1, Stats(state) + "\n");
            if (a.Flag("stats")) return 0;
            Thread.Sleep(interval);
            if (StateStore.CurrentStatus(state) == "stopped") return 0;
        }
    }

    private static TimeSpan ParseInterval(string s)
    {
        double n;
        if (s.EndsWith("ms", StringComparison.Ordinal) && double.TryParse(s[..^2], CultureInfo.InvariantCulture, out n)) return TimeSpan.FromMilliseconds(n);
        if (s.EndsWith('s') && double.TryParse(s[..^1], CultureInfo.InvariantCulture, out n)) return TimeSpan.FromSeconds(n);
        if (s.EndsWith('m') && double.TryParse(s[..^1], CultureInfo.InvariantCulture, out n)) return TimeSpan.FromMinutes(n);
        return TimeSpan.FromSeconds(5);
    }

    private static string Stats(ContainerState s)
    {
        string N(string? v) => long.TryParse(v, out long l) ? l.ToString(CultureInfo.InvariantCulture) : "0";
        var sb = new StringBuilder();
        sb.Append("{\"type\":\"stats\",\"id\":\"").Append(s.Id).Append("\",\"data\":{");
        sb.Append("\"cpu\":{\"usage\":{\"total\":").Append(N(Cgroups.Read(s.Cgroups, "cpuacct", "cpuacct.usage"))).Append("}},");
        sb.Append("\"memory\":{\"usage\":{\"usage\":").Append(N(Cgroups.Read(s.Cgroups, "memory", "memory.usage_in_bytes")))
          .Append(",\"max\":").Append(N(Cgroups.Read(s.Cgroups, "memory", "memory.max_usage_in_bytes")))
          .Append(",\"limit\":").Append(N(Cgroups.Read(s.Cgroups, "memory", "memory.limit_in_bytes"))).Append("}},");
        sb.Append("\"pids\":{\"current\":").Append(N(Cgroups.Read(s.Cgroups, "pids", "pids.current")))
          .Append(",\"limit\":").Append(N(Cgroups.Read(s.Cgroups, "pids", "pids.max"))).Append("}");
        sb.Append("}}");
        return sb.ToString();
    }
}
