using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;
using Csrunsc.Cli;
using Csrunsc.State;
using Microsoft.Diagnostics.NETCore.Client;

namespace Csrunsc.Diagnostics;

/// <summary>
/// `csrunsc debug ID --stacks | --counters | --trace | --dump`: the Sentry process through the .NET
/// diagnostics client (Microsoft.Diagnostics.NETCore.Client) on its IPC endpoint
/// (<see cref="DiagnosticsEndpoint"/>). The Sentry is NativeAOT, which has EventPipe (EventCounters,
/// runtime events: --counters, --trace) but neither the sample profiler (managed stacks) nor
/// createdump (dumps): --stacks shows each Sentry thread with the guest task it serves and that
/// task's syscall, from the Sentry's task table and the host's /proc; --dump says what is missing
/// and writes the Sentry's state views instead.
/// </summary>
public static class SentryDiagnostics
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The runtime's counters (GC, allocations, thread pool, exceptions) and the Sentry's own.</summary>
    private static readonly string[] CounterProviders = ["System.Runtime", Sentry.Diagnostics.SentryEventSource.ProviderName];

    /// <summary>The sandbox's diagnostics client, or null with the reason.</summary>
    private static DiagnosticsClient? Connect(StateStore store, ContainerState state, out int pid, out string error)
    {
        string sandboxId = state.Sandbox ?? state.Id;
        var sandbox = sandboxId == state.Id ? state : store.Load(sandboxId);
        pid = sandbox?.Pid ?? state.Pid;
        string? dir = DiagnosticsEndpoint.DirectoryFor(store, sandboxId);
        if (DiagnosticsEndpoint.Find(dir, pid) is null)
        {
            error = $"the sandbox process {pid} has no .NET diagnostics endpoint in {dir ?? Path.GetTempPath()} (started by an older csrunsc, or with DOTNET_EnableDiagnostics=0)";
            return null;
        }
        // The client looks for dotnet-diagnostic-PID-*-socket in the temp directory.
        if (dir is not null) Environment.SetEnvironmentVariable("TMPDIR", dir);
        error = "";
        return new DiagnosticsClient(pid);
    }

    private static List<EventPipeProvider> Counters(int intervalSec) =>
        CounterProviders.Select(p => new EventPipeProvider(p, EventLevel.Informational, 0,
            new Dictionary<string, string> { ["EventCounterIntervalSec"] = intervalSec.ToString(Inv) })).ToList();

    /// <summary>--counters: samples of every counter, one block per interval.</summary>
    public static int Counters(StateStore store, ContainerState state, int intervalSec, int samples)
    {
        var client = Connect(store, state, out _, out string error);
        if (client is null) return Fail(error);
        using var session = client.StartEventPipeSession(Counters(intervalSec), requestRundown: false, circularBufferMB: 16);
        var current = new SortedDictionary<string, string>(StringComparer.Ordinal);
        int printed = 0;
        DateTime deadline = DateTime.UtcNow.AddSeconds(intervalSec * (samples + 2) + 10);
        var reading = new Thread(() =>
        {
            try
            {
                var sample = new Dictionary<string, string>(StringComparer.Ordinal);
                string? firstOfSample = null;
                foreach (var e in new NetTraceReader(session.EventStream).Events())
                {
                    if (e.Name != "EventCounters" || CounterPayload(e.Fields) is not { } p) continue;
                    string name = p.GetValueOrDefault("Name") as string ?? "?";
                    string key = e.Provider + "\t" + name;
                    // A counter seen again starts the next sample: print the one before.
                    if (firstOfSample == key && sample.Count > 0)
                    {
                        Print(sample);
                        sample.Clear();
                        if (++printed >= samples) break;
                    }
                    firstOfSample ??= key;
                    sample[key] = FormatCounter(p);
                }
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or EndOfStreamException or ObjectDisposedException)
            {
                // The session stopped, or the stream ended.
            }
        }) { IsBackground = true };
        reading.Start();
        while (reading.IsAlive && DateTime.UtcNow < deadline) reading.Join(200);
        try { session.Stop(); }
        catch (Exception ex) when (ex is ServerNotAvailableException or IOException or ServerErrorException) { }
        if (printed == 0) return Fail("no counters arrived from the sandbox's EventPipe session");
        return 0;
    }

    /// <summary>The counter's fields: EventPipe nests them (Payload, then an anonymous struct) inside the event.</summary>
    private static Dictionary<string, object?>? CounterPayload(Dictionary<string, object?> fields)
    {
        if (fields.ContainsKey("Name") && (fields.ContainsKey("Mean") || fields.ContainsKey("Increment"))) return fields;
        foreach (var v in fields.Values)
            if (v is Dictionary<string, object?> nested && CounterPayload(nested) is { } found) return found;
        return null;
    }

    private static void Print(Dictionary<string, string> sample)
    {
        var sb = new StringBuilder();
        sb.Append(Inv, $"{DateTime.UtcNow:HH:mm:ss}\n");
        foreach (var group in sample.OrderBy(kv => kv.Key, StringComparer.Ordinal).GroupBy(kv => kv.Key.Split('\t')[0]))
        {
            sb.Append('[').Append(group.Key).Append("]\n");
            foreach (var kv in group) sb.Append("    ").Append(kv.Value).Append('\n');
        }
        Native.Libc.WriteString(1, sb.ToString());
    }

    /// <summary>"display name (unit)  value" of one EventCounters payload (Mean of a polling counter, Increment of a rate).</summary>
    private static string FormatCounter(Dictionary<string, object?> p)
    {
        string display = p.GetValueOrDefault("DisplayName") as string is { Length: > 0 } d ? d : p.GetValueOrDefault("Name") as string ?? "?";
        string units = p.GetValueOrDefault("DisplayUnits") as string ?? "";
        double value;
        string label;
        if (p.GetValueOrDefault("Increment") is double inc)
        {
            value = inc;
            string scale = p.GetValueOrDefault("DisplayRateTimeScale") as string ?? "";
            string per = scale switch { "00:00:01" => "1 sec", "00:01:00" => "1 min", _ => scale };
            label = $"{display} ({(units.Length > 0 ? units : "Count")} / {per})";
        }
        else
        {
            value = p.GetValueOrDefault("Mean") is double m ? m : 0;
            label = units.Length > 0 ? $"{display} ({units})" : display;
        }
        string name = p.GetValueOrDefault("Name") as string ?? "";
        return string.Create(Inv, $"{label,-60} {value,16:0.##}  [{name}]");
    }

    /// <summary>--trace SECONDS --out FILE: an EventPipe session (runtime GC/exception events, all counters) written as a .nettrace file.</summary>
    public static int Trace(StateStore store, ContainerState state, double seconds, string outFile)
    {
        var client = Connect(store, state, out int pid, out string error);
        if (client is null) return Fail(error);
        var providers = Counters(1);
        // GC (0x1) and exceptions (0x8000) of the runtime provider; NativeAOT emits a subset of runtime events.
        providers.Add(new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, 0x1 | 0x8000));
        using var session = client.StartEventPipeSession(providers, requestRundown: false, circularBufferMB: 64);
        using var file = File.Create(outFile);
        var copy = session.EventStream.CopyToAsync(file);
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        try { session.Stop(); }
        catch (Exception ex) when (ex is ServerNotAvailableException or IOException or ServerErrorException) { }
        if (!copy.Wait(TimeSpan.FromSeconds(30))) return Fail("the trace did not end after the session stopped");
        file.Flush();
        Native.Libc.WriteString(1, $"wrote {file.Length} bytes of nettrace (EventPipe) from sandbox process {pid} to {outFile}: open it with dotnet-trace convert, PerfView or TraceEvent\n");
        return 0;
    }

    /// <summary>
    /// --stacks: NativeAOT cannot give managed stacks (no Microsoft-DotNETCore-SampleProfiler), so
    /// each Sentry host thread is listed with its name, state and kernel wait channel, joined to
    /// the guest task it runs (the task table: each task's current syscall and for how long).
    /// </summary>
    public static int Stacks(StateStore store, ContainerState state)
    {
        string sandboxId = state.Sandbox ?? state.Id;
        var sandbox = sandboxId == state.Id ? state : store.Load(sandboxId);
        int pid = sandbox?.Pid ?? state.Pid;
        if (!DebugCommand.GuestView(store, state, "tasks", out string tasks)) return Fail(tasks);
        var byHostTid = new Dictionary<int, string>();
        foreach (var line in tasks.Split('\n').Skip(1))
        {
            var f = line.Split('\t');
            if (f.Length == 5 && int.TryParse(f[2], Inv, out int htid)) byHostTid[htid] = $"guest tid {f[0]} (pid {f[1]}, {f[3]}): {f[4]}";
        }
        var sb = new StringBuilder();
        sb.Append(Inv, $"Sentry process {pid}: managed stacks are not available (NativeAOT has no EventPipe sample profiler);\n");
        sb.Append("each Sentry thread with its kernel state and wait channel, and the guest task it serves:\n");
        sb.Append("HOST_TID\tNAME\tSTATE\tWCHAN\tSERVES\n");
        string[] threads;
        try { threads = Directory.GetDirectories($"/proc/{pid}/task"); }
        catch (IOException e) { return Fail($"cannot list the Sentry's threads: {e.Message}"); }
        foreach (var dir in threads.OrderBy(d => int.TryParse(Path.GetFileName(d), out int t) ? t : 0))
        {
            if (!int.TryParse(Path.GetFileName(dir), Inv, out int tid)) continue;
            string name = Read(Path.Combine(dir, "comm"));
            string stat = Read(Path.Combine(dir, "stat"));
            int close = stat.LastIndexOf(')');
            string st = close > 0 && close + 2 < stat.Length ? stat[(close + 2)..(close + 3)] : "?";
            string wchan = Read(Path.Combine(dir, "wchan"));
            sb.Append(Inv, $"{tid}\t{name}\t{st}\t{(wchan.Length > 0 && wchan != "0" ? wchan : "-")}\t{byHostTid.GetValueOrDefault(tid, "-")}\n");
        }
        Native.Libc.WriteString(1, sb.ToString());
        return 0;
    }

    /// <summary>
    /// --dump FILE: asks the runtime for a dump through the diagnostics client; NativeAOT has no
    /// createdump, so the runtime refuses, and the command says so and writes the nearest thing it
    /// can: the Sentry's state views (tasks, processes, fds, mounts, syscall counts) into FILE.
    /// </summary>
    public static int Dump(StateStore store, ContainerState state, string outFile)
    {
        var client = Connect(store, state, out int pid, out string error);
        if (client is null) return Fail(error);
        string refusal;
        try
        {
            client.WriteDump(DumpType.Full, outFile, logDumpGeneration: false);
            Native.Libc.WriteString(1, $"wrote a dump of sandbox process {pid} to {outFile}\n");
            return 0;
        }
        catch (Exception e) when (e is ServerErrorException or UnsupportedCommandException or ServerNotAvailableException or IOException)
        {
            refusal = e.Message;
        }
        var sb = new StringBuilder();
        sb.Append(Inv, $"# csrunsc debug --dump of sandbox process {pid} at {DateTime.UtcNow:O}\n");
        sb.Append("# the runtime refused a memory dump (NativeAOT has no createdump): ").Append(refusal).Append('\n');
        foreach (var view in new[] { "tasks", "ps", "mounts", "syscall-stats" })
        {
            sb.Append("\n## ").Append(view).Append('\n');
            sb.Append(DebugCommand.GuestView(store, state, view, out string text) ? text : "(" + text + ")\n");
            if (view != "ps") continue;
            foreach (var line in text.Split('\n').Skip(1))
            {
                var f = line.Split('\t');
                if (f.Length < 2 || !int.TryParse(f[0], Inv, out int guestPid)) continue;
                sb.Append(Inv, $"\n## fds {guestPid} ({f[^1]})\n");
                sb.Append(DebugCommand.GuestView(store, state, "fds " + guestPid, out string fds) ? fds : "(" + fds + ")\n");
            }
        }
        File.WriteAllText(outFile, sb.ToString());
        Log.Error($"debug --dump: no memory dump: the Sentry is NativeAOT, whose runtime cannot write one ({refusal}). " +
                  $"Wrote the Sentry's state views to {outFile} instead; for a core of the process use `gcore {pid}` (gdb) with the symbols in csrunsc.dbg.");
        return 0;
    }

    private static string Read(string path)
    {
        try { return File.ReadAllText(path).Trim(); }
        catch (IOException) { return ""; }
    }

    private static int Fail(string message)
    {
        Log.Error(message);
        return 1;
    }
}
