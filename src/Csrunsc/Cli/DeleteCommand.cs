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
            if (state.Sandbox is not null) ReleaseMember(store, state);
            Cgroups.Remove(state.Cgroups);
            var spec = Containers.Spec(state);
            var oci = Containers.ToOci(state);
            store.Remove(state.Id);
            Hooks.RunAllWarning("poststop", spec?.Hooks?.Poststop, oci);
            error = null;
            return true;
        }
    }

    /// <summary>
    /// A pod member's init is gone: the pod's sandbox (if it still runs) kills what is left of the
    /// container, drops its mounts and closes its gofer's channel; then the gofer is waited for.
    /// </summary>
    public static void ReleaseMember(StateStore store, ContainerState state)
    {
        var sandbox = store.Load(state.Sandbox!);
        if (sandbox is not null && StateStore.CurrentStatus(sandbox) != "stopped" && !Containers.Control(store, state, "destroy", out string reply))
            Log.Warning($"container {state.Id}: the pod's sandbox did not release it: {reply}");
        MemberLauncher.WaitGofer(state.GoferPid, state.GoferStartTime);
    }
}
