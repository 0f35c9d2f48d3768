using System.Globalization;
using System.Text;
using Csrunsc.Sentry.Kernel;
using KernelState = Csrunsc.Sentry.Kernel.Kernel;

namespace Csrunsc.Sentry.Fs.Proc;

/// <summary>Generators for the system-wide /proc files.</summary>
public static class ProcSystemContent
{
    /// <summary>Clock ticks per second (USER_HZ) for times in /proc.</summary>
    public const long UserHz = 100;

    public static string VersionLine() =>
        $"Linux version {KernelState.Release} (csrunsc@csrunsc) (gcc version 12.2.0) {KernelState.Version}\n";

    public static string Filesystems() =>
        "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevpts\nnodev\tpipefs\nnodev\tsockfs\n" +
        "nodev\tcgroup\nnodev\tcgroup2\nnodev\tmqueue\nnodev\t9p\n";

    public static string Uptime(ProcFileSystem fs)
    {
        double up = (MonotonicClock.NowNs() - fs.Kernel.BootTimeNs) / 1e9;
        double idle = up * Environment.ProcessorCount;
        return string.Create(CultureInfo.InvariantCulture, $"{up:F2} {idle:F2}\n");
    }

    public static string Loadavg(ProcFileSystem fs)
    {
        var pids = fs.Kernel.Pids;
        int threads = 0, last = 0;
        foreach (var g in pids.Groups())
        {
            threads += g.Tasks.Count;
            last = Math.Max(last, g.Tgid);
        }
        return string.Create(CultureInfo.InvariantCulture, $"0.00 0.00 0.00 1/{threads} {last}\n");
    }

    public static string Stat(ProcFileSystem fs)
    {
        long upTicks = (MonotonicClock.NowNs() - fs.Kernel.BootTimeNs) / (1_000_000_000 / UserHz);
        long userTicks = 0;
        int running = 0, procs = 0;
        foreach (var g in fs.Kernel.Pids.Groups())
        {
            procs++;
            foreach (var t in g.TasksSnapshot())
            {
                userTicks += t.CpuUserNs() / (1_000_000_000 / UserHz);
                running++;
            }
        }
        int cpus = Environment.ProcessorCount;
        long idle = Math.Max(0, upTicks * cpus - userTicks);
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.Append(inv, $"cpu  {userTicks} 0 0 {idle} 0 0 0 0 0 0\n");
        for (int i = 0; i < cpus; i++) sb.Append(inv, $"cpu{i} {userTicks / cpus} 0 0 {idle / cpus} 0 0 0 0 0 0\n");
        sb.Append("intr 0\nctxt 0\n");
        sb.Append(inv, $"btime {fs.BootTime.Sec}\n");
        sb.Append(inv, $"processes {procs}\nprocs_running {Math.Max(1, Math.Min(running, cpus))}\nprocs_blocked 0\nsoftirq 0\n");
        return sb.ToString();
    }

    /// <summary>The sandbox's memory, in the host's totals (MemoryAccounting).</summary>
    public static string Meminfo(ProcFileSystem fs) => fs.Kernel.MemoryAccounting.Meminfo();
}
