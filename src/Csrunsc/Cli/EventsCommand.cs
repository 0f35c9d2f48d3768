using System.Globalization;
using System.Text;
using System.Text.Json;
using Csrunsc.Sandbox;
using Csrunsc.State;

namespace Csrunsc.Cli;

/// <summary>
/// `events [--stats] [--interval 5s] ID`, as runc's: JSON lines of {"type","id","data"}. "stats"
/// (once with --stats, else every interval) carries runc's fields filled as runsc fills them, from
/// the Sentry's view of the guest (CPU time of the guest's tasks, the memory file's resident bytes,
/// the guest's threads), limits from the sandbox's cgroups, the sandbox's network interfaces, and
/// under "csrunsc" the Sentry's own figures (memory file, syscalls by name, faults, gofer round
/// trips). The cgroup figures are read with v1's or v2's file names (<see cref="CgroupStats"/>).
/// Without --stats an {"type":"oom"} line follows each OOM kill in the sandbox's memory cgroup,
/// and the stream ends when the container stops (runc emits no exit event either).
/// </summary>
public static class EventsCommand
{
    public static int Run(string[] args, GlobalOptions global)
    {
        var a = CommandArgs.Parse(args, ["interval"], ["stats"], out string? error);
        var store = new StateStore(global.Root);
        var state = Containers.FindRunning(store, a, error);
        if (state is null) return 1;
        if (a.Flag("stats"))
        {
            Native.Libc.WriteString(1, Stats(store, state) + "\n");
            return 0;
        }
        var interval = ParseInterval(a.Value("interval") ?? "5s");
        using var notifier = OomNotifier.Register(state.Cgroups);
        long oomKills = OomKills(state);
        var next = DateTime.UtcNow;
        void Oom() => Native.Libc.WriteString(1, Event("oom", state.Id, null) + "\n");
        // Without a notifier (no memory cgroup, or the host refused), the kill counter is polled.
        void PollOomKills()
        {
            if (notifier is not null) return;
            long kills = OomKills(state);
            for (long i = oomKills; i < kills; i++) Oom();
            oomKills = Math.Max(oomKills, kills);
        }
        while (StateStore.CurrentStatus(state) != "stopped")
        {
            PollOomKills();
            if (DateTime.UtcNow >= next)
            {
                Native.Libc.WriteString(1, Stats(store, state) + "\n");
                next = DateTime.UtcNow + interval;
            }
            if (notifier is null) Thread.Sleep(100);
            else for (int n = notifier.WaitForOoms(100); n > 0; n--) Oom();
        }
        // A kill that ended the container between two polls or wakes (the cgroup may be gone already).
        PollOomKills();
        for (int n = notifier?.WaitForOoms(0) ?? 0; n > 0; n--) Oom();
        return 0;
    }

    private static TimeSpan ParseInterval(string s)
    {
        double n;
        if (s.EndsWith("ms", StringComparison.Ordinal) && double.TryParse(s[..^2], CultureInfo.InvariantCulture, out n)) return TimeSpan.FromMilliseconds(n);
        if (s.EndsWith('s') && double.TryParse(s[..^1], CultureInfo.InvariantCulture, out n)) return TimeSpan.FromSeconds(n);
        if (s.EndsWith('m') && double.TryParse(s[..^1], CultureInfo.InvariantCulture, out n)) return TimeSpan.FromMinutes(n);
        return TimeSpan.FromSeconds(5);
    }

    /// <summary>The OOM kill counter of the sandbox's memory cgroup: v1 memory.oom_control's oom_kill, v2 memory.events' (0 without one).</summary>
    private static long OomKills(ContainerState s) => (long)Math.Min(Cgroups.Stats(s.Cgroups).OomKills, long.MaxValue);

    private static string Event(string type, string id, Action<Utf8JsonWriter>? data)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("type", type);
            w.WriteString("id", id);
            if (data is not null)
            {
                w.WritePropertyName("data");
                data(w);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static string Stats(StateStore store, ContainerState s)
    {
        JsonDocument? sandbox = null;
        if (DebugCommand.GuestView(store, s, "stats", out string json))
        {
            try { sandbox = JsonDocument.Parse(json); }
            catch (JsonException) { sandbox = null; }
        }
        using (sandbox)
        {
            var g = sandbox?.RootElement;
            long G(string obj, string name) => g is { } e && e.TryGetProperty(obj, out var o) && o.TryGetProperty(name, out var v) ? v.GetInt64() : 0;
            var cg = Cgroups.Stats(s.Cgroups);
            return Event("stats", s.Id, w =>
            {
                w.WriteStartObject();
                w.WriteStartObject("cpu");
                w.WriteStartObject("usage");
                if (g is not null)
                {
                    w.WriteNumber("total", G("cpu", "user_ns") + G("cpu", "system_ns"));
                    w.WriteNumber("kernel", G("cpu", "system_ns"));
                    w.WriteNumber("user", G("cpu", "user_ns"));
                }
                else
                {
                    w.WriteNumber("total", cg.CpuTotal);
                    w.WriteNumber("kernel", cg.CpuKernel);
                    w.WriteNumber("user", cg.CpuUser);
                }
                w.WriteEndObject();
                w.WriteStartObject("throttling");
                w.WriteNumber("periods", cg.ThrottlingPeriods);
                w.WriteNumber("throttled_periods", cg.ThrottledPeriods);
                w.WriteNumber("throttled_time", cg.ThrottledTime);
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteStartObject("memory");
                w.WriteNumber("cache", cg.MemoryCache);
                w.WriteStartObject("usage");
                if (g is not null) w.WriteNumber("usage", G("memory_file", "rss"));
                else w.WriteNumber("usage", cg.MemoryUsage);
                w.WriteNumber("max", cg.MemoryMaxUsage);
                w.WriteNumber("limit", cg.MemoryLimit);
                w.WriteNumber("failcnt", cg.MemoryFailcnt);
                w.WriteEndObject();
                w.WriteStartObject("raw");
                foreach (var (k, v) in cg.MemoryStat) w.WriteNumber(k, v);
                if (g is not null)
                {
                    w.WriteNumber("memory_file_rss", G("memory_file", "rss"));
                    w.WriteNumber("memory_file_allocated", G("memory_file", "allocated"));
                }
                w.WriteNumber("sandbox_cgroup_usage", cg.MemoryUsage);
                w.WriteNumber("sandbox_cgroup_cpu_ns", cg.CpuTotal);
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteStartObject("pids");
                if (g is { } e && e.TryGetProperty("threads", out var th)) w.WriteNumber("current", th.GetInt64());
                else w.WriteNumber("current", cg.PidsCurrent);
                w.WriteNumber("limit", cg.PidsLimit);
                w.WriteEndObject();
                w.WriteStartObject("blkio");
                WriteBlkio(w, "ioServiceBytesRecursive", cg.IoServiceBytes);
                WriteBlkio(w, "ioServicedRecursive", cg.IoServiced);
                w.WriteEndObject();
                WriteNetwork(w, s.Pid);
                if (g is { } root)
                {
                    w.WritePropertyName("csrunsc");
                    root.WriteTo(w);
                }
                w.WriteEndObject();
            });
        }
    }

    /// <summary>A blkio list as runc writes it: {major, minor, op, value} objects; left out when empty (omitempty).</summary>
    private static void WriteBlkio(Utf8JsonWriter w, string name, List<BlkioEntry> entries)
    {
        if (entries.Count == 0) return;
        w.WriteStartArray(name);
        foreach (var x in entries)
        {
            w.WriteStartObject();
            w.WriteNumber("major", x.Major);
            w.WriteNumber("minor", x.Minor);
            w.WriteString("op", x.Op);
            w.WriteNumber("value", x.Value);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

        /// <summary>runc's network_interfaces from the sandbox's network namespace (/proc/PID/net/dev), loopback left out as runc does.</summary>
    private static void WriteNetwork(Utf8JsonWriter w, int pid)
    {
        string[] lines;
        try { lines = File.ReadAllLines($"/proc/{pid}/net/dev"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
        w.WriteStartArray("network_interfaces");
        foreach (var line in lines.Skip(2))
        {
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            string name = line[..colon].Trim();
            var f = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (name == "lo" || f.Length < 16) continue;
            long F(int i) => long.TryParse(f[i], CultureInfo.InvariantCulture, out long v) ? v : 0;
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteNumber("rx_bytes", F(0));
            w.WriteNumber("rx_packets", F(1));
            w.WriteNumber("rx_errors", F(2));
            w.WriteNumber("rx_dropped", F(3));
            w.WriteNumber("tx_bytes", F(8));
            w.WriteNumber("tx_packets", F(9));
            w.WriteNumber("tx_errors", F(10));
            w.WriteNumber("tx_dropped", F(11));
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
