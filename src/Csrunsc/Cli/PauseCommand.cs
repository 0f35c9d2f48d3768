using Csrunsc.Sandbox;
using Csrunsc.State;

namespace Csrunsc.Cli;

/// <summary>`pause ID` / `resume ID`: freeze and thaw every guest task of the sandbox.</summary>
public static class PauseCommand
{
    public static int Run(string[] args, GlobalOptions global, bool pause)
    {
        var a = CommandArgs.Parse(args, [], [], out string? error);
        if (error is null && Change(global, Containers.IdArg(a), pause, out error)) return 0;
        Log.Error(error!);
        return 1;
    }

    private static bool Change(GlobalOptions global, string? id, bool pause, out string? error)
    {
        var store = new StateStore(global.Root);
        var state = Containers.Find(store, id, out error);
        if (state is null) return false;
        using (store.Lock(state.Id))
        {
            state = store.Load(state.Id)!;
            string status = StateStore.CurrentStatus(state);
            if (pause && status is not ("running" or "created"))
            {
                error = "container not running"; // runc's wording for paused too
                return false;
            }
            if (!pause && status != "paused")
            {
                error = "container not paused";
                return false;
            }
            if (!Containers.Control(store, state, pause ? "pause" : "resume", out string reply))
            {
                error = reply;
                return false;
            }
            // Like runc, a created container can be paused; resume returns it to what it was.
            if (pause)
            {
                state.PausedFrom = status;
                state.Status = "paused";
            }
            else
            {
                state.Status = state.PausedFrom ?? "running";
                state.PausedFrom = null;
            }
            store.Save(state);
            return true;
        }
    }
}
