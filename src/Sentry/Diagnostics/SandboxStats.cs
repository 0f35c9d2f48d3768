using System.Text;
using System.Text.Json;
using Csrunsc.Gofer;
using Csrunsc.Native;

namespace Csrunsc.Sentry.Diagnostics;

/// <summary>
/// The sandbox's own figures for `csrunsc events --stats` (what runsc reports from its Sentry
/// rather than from host cgroups): the memory file (bytes handed out, bytes resident), guest CPU
/// time, processes and threads, syscalls by name, faults and gofer round trips. One JSON object.
/// </summary>
public static class SandboxStats
{
    public static unsafe string Json(Kernel.Kernel kernel)
    {
        long rss = 0;
        StatBuf st;
        if (Libc.FStat(kernel.MemoryFile.Fd, &st) == 0) rss = st.Blocks * 512;
        long user = 0, system = 0;
        int processes = 0, threads = 0;
        foreach (var g in kernel.Pids.Groups())
        {
            user += g.CpuUserNs() + Volatile.Read(ref g.ChildrenUserNs);
            system += g.CpuSystemNs() + Volatile.Read(ref g.ChildrenSystemNs);
            if (g.Zombie) continue;
            processes++;
            threads += g.TasksSnapshot().Length;
        }
        var stats = kernel.Stats.Snapshot();
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteStartObject("memory_file");
            w.WriteNumber("allocated", kernel.MemoryFile.Allocated);
            w.WriteNumber("rss", rss);
            w.WriteEndObject();
            w.WriteStartObject("cpu");
            w.WriteNumber("user_ns", user);
            w.WriteNumber("system_ns", system);
            w.WriteEndObject();
            w.WriteNumber("processes", processes);
            w.WriteNumber("threads", threads);
            w.WriteNumber("faults", Volatile.Read(ref kernel.Faults));
            w.WriteNumber("gofer_round_trips", GoferClient.RoundTrips);
            w.WriteStartObject("syscalls");
            long total = 0, errors = 0;
            foreach (var s in stats)
            {
                total += s.Calls;
                errors += s.Errors;
            }
            w.WriteNumber("total", total);
            w.WriteNumber("errors", errors);
            w.WriteStartObject("calls");
            foreach (var s in stats) w.WriteNumber(s.Name, s.Calls);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
