using Csrunsc.Sandbox;
using Csrunsc.State;

namespace Csrunsc.Cli;

/// <summary>`kill [--all] ID [SIGNAL]`: in created, running or paused state; default SIGTERM.</summary>
public static class KillCommand
{
    public static int Run(string[] args, GlobalOptions global)
    {
        var a = CommandArgs.Parse(args, [], ["all|a"], out string? error);
        if (error is null && Kill(global, a, out error)) return 0;
        Log.Error(error!);
        return 1;
    }

    private const int KillSignal = 9;

    /// <summary>How long the sandbox gets to end its tasks after a SIGKILL before it is killed itself.</summary>
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(3);

    private static bool Kill(GlobalOptions global, CommandArgs a, out string? error)
    {
        var store = new StateStore(global.Root);
        var state = Containers.Find(store, Containers.IdArg(a), out error);
        if (state is null) return false;
        int sig = a.Positionals.Count > 1 ? SignalNames.Parse(a.Positionals[1]) : 15;
        if (sig <= 0)
        {
            error = $"invalid signal: {a.Positionals[1]}";
            return false;
        }
        if (StateStore.CurrentStatus(state) == "stopped")
        {
            // runc signals every process left in the cgroup for --all; with none left it succeeds.
            // A pod member's processes may outlive its init (they share the pod's pid namespace).
            if (a.Flag("all") && state.Sandbox is not null) Containers.Control(store, state, $"kill {sig} 1", out _);
            if (a.Flag("all")) return true;
            error = "container not running";
            return false;
        }
        if (Containers.Control(store, state, $"kill {sig} {(a.Flag("all") ? 1 : 0)}", out _))
        {
            // SIGKILL must end the container even when the Sentry cannot end its tasks (a tracer
            // thread wedged in the host): then the sandbox process itself is killed (its stubs die
            // with their tracers, PTRACE_O_EXITKILL). A pod member's pid is its proxy, whose
            // death makes the sandbox kill the member's init.
            if (sig == KillSignal && !SandboxProcess.WaitGone(state.Pid, state.PidStartTime, KillGrace))
                SandboxProcess.Signal(state.Pid, KillSignal);
            return true;
        }
        // The control socket is gone but the process lives: signal it directly (SIGKILL always works).
        if (SandboxProcess.Signal(state.Pid, sig) == 0) return true;
        error = "no such process";
        return false;
    }
}
