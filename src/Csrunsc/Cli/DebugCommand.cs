using System.Text;
using Csrunsc.Sandbox;
using Csrunsc.State;

namespace Csrunsc.Cli;

/// <summary>
/// `debug ID --syscall-stats | --ps`: guest-side views served by the Sentry over the control
/// socket. --stacks/--counters (the .NET diagnostics client) are not done: see ARCHITECTURE.md.
/// </summary>
public static class DebugCommand
{
    public static int Run(string[] args, GlobalOptions global)
    {
        var a = CommandArgs.Parse(args, [], ["syscall-stats", "ps", "stacks", "counters"], out string? error);
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
        string view = a.Flag("ps") ? "ps" : "syscall-stats";
        if (StateStore.CurrentStatus(state) == "stopped")
        {
            Log.Error("container not running");
            return 1;
        }
        if (!Containers.Control(store, state, "debug " + view, out string reply))
        {
            Log.Error(reply);
            return 1;
        }
        Native.Libc.WriteString(1, Encoding.UTF8.GetString(Convert.FromBase64String(reply)));
        return 0;
    }
}
