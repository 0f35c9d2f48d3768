using System.Text;
using Csrunsc.Sandbox;
using Csrunsc.State;

namespace Csrunsc.Cli;

/// <summary>
/// `debug ID --ps | --syscall-stats | --fds PID | --mounts | --tasks`: guest-side views served by
/// the Sentry over the control socket (see Sentry/Diagnostics/DebugViews).
/// </summary>
public static class DebugCommand
{
    public static int Run(string[] args, GlobalOptions global)
    {
        var a = CommandArgs.Parse(args, ["fds"], ["syscall-stats", "ps", "mounts", "tasks", "stacks", "counters"], out string? error);
        var store = new StateStore(global.Root);
        var state = error is null ? Containers.Find(store, Containers.IdArg(a), out error) : null;
        if (state is null)
        {
            Log.Error(error!);
            return 1;
        }
        if (a.Flag("stacks") || a.Flag("counters"))
        {
            Log.Error("debug --stacks/--counters are not implemented yet (NativeAOT diagnostics IPC not wired); use --ps and --syscall-stats");
            return 1;
        }
        string request = a.Value("fds") is { } pid ? "fds " + pid
            : a.Flag("ps") ? "ps" : a.Flag("mounts") ? "mounts" : a.Flag("tasks") ? "tasks" : "syscall-stats";
        if (StateStore.CurrentStatus(state) == "stopped")
        {
            Log.Error("container not running");
            return 1;
        }
        if (!GuestView(store, state, request, out string text))
        {
            Log.Error(text);
            return 1;
        }
        Native.Libc.WriteString(1, text);
        return 0;
    }

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
