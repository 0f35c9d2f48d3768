using System.Text.Json;
using Csrunsc.State;

namespace Csrunsc.Cli;

/// <summary>`state ID`: the OCI state JSON (status created|running|paused|stopped, pid).</summary>
public static class StateCommand
{
    public static int Run(string[] args, GlobalOptions global)
    {
        var a = CommandArgs.Parse(args, [], [], out string? error);
        var state = error is null ? Containers.Find(new StateStore(global.Root), Containers.IdArg(a), out error) : null;
        if (state is null)
        {
            Log.Error(error!);
            return 1;
        }
        Native.Libc.WriteString(1, JsonSerializer.Serialize(Containers.ToOci(state), StateJsonContext.Default.OciState) + "\n");
        return 0;
    }
}
