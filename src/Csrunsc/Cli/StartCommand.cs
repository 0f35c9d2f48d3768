using Csrunsc.Sandbox;
using Csrunsc.State;

namespace Csrunsc.Cli;

/// <summary>`start ID`: runs startContainer hooks, releases init, runs poststart hooks. Returns promptly.</summary>
public static class StartCommand
{
    public static int Run(string[] args, GlobalOptions global)
    {
        var a = CommandArgs.Parse(args, [], [], out string? error);
        if (error is null && Start(global, Containers.IdArg(a), out error)) return 0;
        Log.Error(error!);
        return 1;
    }

    public static bool Start(GlobalOptions global, string? id, out string? error)
    {
        var store = new StateStore(global.Root);
        var state = Containers.Find(store, id, out error);
        if (state is null) return false;
        using (store.Lock(state.Id))
        {
            state = store.Load(state.Id)!;
            string status = StateStore.CurrentStatus(state);
            if (status != "created")
            {
                error = status == "stopped" ? "cannot start a container that has stopped" : "cannot start an already running container";
                return false;
            }
            var spec = Containers.Spec(state);
            error = Hooks.Run("startContainer", spec?.Hooks?.StartContainer, Containers.ToOci(state));
            if (error is not null) return false;
            if (!Containers.Control(store, state, "start", out string reply))
            {
                error = "cannot start container: " + reply;
                return false;
            }
            state.Status = "running";
            store.Save(state);
            Hooks.RunAllWarning("poststart", spec?.Hooks?.Poststart, Containers.ToOci(state));
            error = null;
            return true;
        }
    }
}
