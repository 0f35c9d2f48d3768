using System.Text;
using Csrunsc.Sandbox;
using Csrunsc.State;

namespace Csrunsc.Cli;

/// <summary>
/// `debug ID --ps | --syscall-stats | --fds PID | --mounts | --tasks`: guest-side views served by
/// the Sentry over the control socket (see Sentry/Diagnostics/DebugViews); `--stacks | --counters
/// [--interval S] [--samples N] | --trace SECONDS [--out FILE] | --dump FILE`: the Sentry process
/// through the .NET diagnostics client (Diagnostics/SentryDiagnostics).
/// </summary>
public static class DebugCommand
{
    public static int Run(string[] args, GlobalOptions global)
    {
        var a = CommandArgs.Parse(args, ["fds", "interval", "samples", "trace", "out", "dump"],
            ["syscall-stats", "ps", "mounts", "tasks", "stacks", "counters"], out string? error);
        var store = new StateStore(global.Root);
        var state = Containers.FindRunning(store, a, error);
        if (state is null) return 1;
        // The Sentry process itself, through the .NET diagnostics IPC endpoint.
        if (a.Flag("stacks")) return Diagnostics.SentryDiagnostics.Stacks(store, state);
        if (a.Flag("counters"))
        {
            if (!PositiveInt(a.Value("interval") ?? "1", out int interval) || !PositiveInt(a.Value("samples") ?? "1", out int samples))
            {
                Log.Error("debug --counters: --interval and --samples take a positive number");
                return 1;
            }
            return Diagnostics.SentryDiagnostics.Counters(store, state, interval, samples);
        }
        if (a.Value("trace") is { } secs)
        {
            if (!double.TryParse(secs, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double seconds) || seconds <= 0)
            {
                Log.Error("debug --trace takes a number of seconds");
                return 1;
            }
            return Diagnostics.SentryDiagnostics.Trace(store, state, seconds, a.Value("out") ?? $"csrunsc-{state.Id}.nettrace");
        }
        if (a.Value("dump") is { } dumpFile) return Diagnostics.SentryDiagnostics.Dump(store, state, dumpFile);

        string request = a.Value("fds") is { } pid ? "fds " + pid
            : a.Flag("ps") ? "ps" : a.Flag("mounts") ? "mounts" : a.Flag("tasks") ? "tasks" : "syscall-stats";
        if (!GuestView(store, state, request, out string text))
        {
            Log.Error(text);
            return 1;
        }
        Native.Libc.WriteString(1, text);
        return 0;
    }

    private static bool PositiveInt(string s, out int v) =>
        int.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out v) && v > 0;

    /// <summary>One of the Sentry's guest views ("ps", "fds PID", ...); false with the error as text.</summary>
    public static bool GuestView(StateStore store, ContainerState state, string request, out string text)
    {
        if (!Containers.Control(store, state, "debug " + request, out string reply))
        {
            text = reply;
            return false;
        }
        text = Encoding.UTF8.GetString(Convert.FromBase64String(reply));
        return true;
    }
}
