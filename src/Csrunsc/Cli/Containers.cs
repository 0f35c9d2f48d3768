using Csrunsc.Oci;
using Csrunsc.State;

namespace Csrunsc.Cli;

/// <summary>What several commands share: finding a container, its current status, its OCI state.</summary>
public static class Containers
{
    /// <summary>Loads a container's state; error worded like runc ("container ID does not exist").</summary>
    public static ContainerState? Find(StateStore store, string? id, out string error)
    {
        error = "";
        if (string.IsNullOrEmpty(id))
        {
            error = "container id cannot be empty";
            return null;
        }
        if (!StateStore.ValidId(id) || !store.Exists(id))
        {
            error = $"container {id} does not exist";
            return null;
        }
        var s = store.Load(id);
        if (s is null) error = $"container {id} does not exist";
        return s;
    }

    /// <summary>
    /// The running (or created, paused) container the command names, or null after logging why:
    /// a parse error, an unknown id, or a stopped container (<paramref name="stoppedMessage"/>).
    /// </summary>
    public static ContainerState? FindRunning(StateStore store, CommandArgs a, string? parseError, string stoppedMessage = "container not running")
    {
        string error = parseError ?? "";
        var state = parseError is null ? Find(store, IdArg(a), out error) : null;
        if (state is null)
        {
            Log.Error(error);
            return null;
        }
        if (StateStore.CurrentStatus(state) == "stopped")
        {
            Log.Error(stoppedMessage);
            return null;
        }
        return state;
    }

    public static OciState ToOci(ContainerState s)
    {
        string status = StateStore.CurrentStatus(s);
        return new OciState
        {
            Id = s.Id, Pid = status == "stopped" ? 0 : s.Pid, Status = status, Bundle = s.Bundle, Rootfs = s.Rootfs,
            Created = s.Created, Owner = s.Owner, Annotations = s.Annotations,
        };
    }

    public static OciSpec? Spec(ContainerState s)
    {
        return BundleLoader.Load(s.Bundle, out OciSpec? spec, out _, out _) == 0 ? spec : null;
    }

    /// <summary>The control socket serving a container: its own sandbox's, or for a pod member its pod's sandbox's.</summary>
    public static string ControlSocket(StateStore store, ContainerState s) => store.ControlSocket(s.Sandbox ?? s.Id);

    /// <summary>A control request addressed to the container (a pod member's carry its id: "@ID request").</summary>
    public static string Request(ContainerState s, string request) => s.Sandbox is null ? request : $"@{s.Id} {request}";

    /// <summary>Sends a request for this container to the sandbox that runs it.</summary>
    public static bool Control(StateStore store, ContainerState s, string request, out string reply, ReadOnlySpan<int> fds = default) =>
        Sandbox.ControlClient.Request(ControlSocket(store, s), Request(s, request), out reply, fds);

    /// <summary>The single positional id argument of a command.</summary>
    /// <summary>The command's container id (its first positional); with --debug-log DIR the command's own file opens now.</summary>
    public static string? IdArg(CommandArgs a)
    {
        string? id = a.Positionals.Count > 0 ? a.Positionals[0] : null;
        DebugLog.NameContainer(id);
        return id;
    }
}
