using System.Diagnostics.Tracing;
using Csrunsc.Gofer;

namespace Csrunsc.Sentry.Diagnostics;

/// <summary>
/// The Sentry's own EventCounters ("Csrunsc-Sentry"), read through EventPipe by `csrunsc debug ID
/// --counters/--trace` (or dotnet-counters): syscalls/s, faults/s, gofer round trips/s, live
/// tasks, memory-file bytes. The counters only read figures the kernel keeps anyway (plain
/// interlocked increments on the syscall and fault paths); the runtime polls them on its own
/// thread, and only while a session has enabled this source.
/// </summary>
[EventSource(Name = ProviderName)]
public sealed class SentryEventSource : EventSource
{
    public const string ProviderName = "Csrunsc-Sentry";

    private static SentryEventSource? s_instance;

    private readonly List<DiagnosticCounter> _counters = new();

    private SentryEventSource(Kernel.Kernel kernel)
    {
        _counters.Add(new IncrementingPollingCounter("syscalls", this, () => kernel.Stats.Total)
            { DisplayName = "Guest syscalls", DisplayRateTimeScale = TimeSpan.FromSeconds(1) });
        _counters.Add(new IncrementingPollingCounter("faults", this, () => Volatile.Read(ref kernel.Faults))
            { DisplayName = "Guest faults", DisplayRateTimeScale = TimeSpan.FromSeconds(1) });
        _counters.Add(new IncrementingPollingCounter("gofer-round-trips", this, () => GoferClient.RoundTrips)
            { DisplayName = "Gofer round trips", DisplayRateTimeScale = TimeSpan.FromSeconds(1) });
        _counters.Add(new PollingCounter("tasks", this, () => Volatile.Read(ref kernel.LiveTasks))
            { DisplayName = "Guest tasks" });
        _counters.Add(new PollingCounter("memory-file-bytes", this, () => kernel.MemoryFile.Allocated)
            { DisplayName = "Memory file in use", DisplayUnits = "B" });
    }

    /// <summary>Creates the source for the sandbox's kernel (once per process).</summary>
    public static void Start(Kernel.Kernel kernel)
    {
        if (s_instance is null) s_instance = new SentryEventSource(kernel);
    }
}
