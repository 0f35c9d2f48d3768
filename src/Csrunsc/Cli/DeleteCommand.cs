using Csrunsc.Native;
using Csrunsc.Sandbox;
using Csrunsc.State;

namespace Csrunsc.Cli;

/// <summary>`delete [--force] ID`: removes a stopped (or created) container; --force kills first; idempotent with --force.</summary>
public static class DeleteCommand
{
    public static int Run(string[] args, GlobalOptions global)
    {
        var a = CommandArgs.Parse(args, [], ["force|f"], out string? error);
        if (error is null && Delete(global, Containers.IdArg(a), a.Flag("force"), out error)) return 0;
        Log.Error(error!);
        return 1;
    }

    public static bool Delete(GlobalOptions global, string? id, bool force, out string? error)
    {
        var store = new StateStore(global.Root);
        var state = Containers.Find(store, id, out error);
        if (state is null)
        {
            if (!force) return false;
            // A half-created directory (no state.json) goes too.
            if (!string.IsNullOrEmpty(id) && StateStore.ValidId(id)) store.Remove(id);
            error = null;
            return true;
        }
        using (store.Lock(state.Id))
        {
            string status = StateStore.CurrentStatus(state);
            if (status is "running" or "paused" && !force)
            {
                error = $"cannot delete container {state.Id} that is not stopped: {status}";
                return false;
            }
            if (status != "stopped")
            {
                SandboxProcess.Signal(state.Pid, Libc.SIGKILL);
                if (!SandboxProcess.WaitGone(state.Pid, state.PidStartTime, TimeSpan.FromSeconds(10)))
                {
                    error = $"container {state.Id}: the sandbox process {state.Pid} did not exit";
                    return false;
                }
            }
            Cgroups.Remove(state.Cgroups);
            var spec = Containers.Spec(state);
            var oci = Containers.ToOci(state);
            store.Remove(state.Id);
            if (Hooks.Run("poststop", spec?.Hooks?.Poststop, oci) is { } hookErr) Log.Warning(hookErr);
            error = null;
            return true;
        }
    }
}
