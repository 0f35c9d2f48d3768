using Csrunsc.Native;
using Csrunsc.Oci;
using Csrunsc.Sandbox;
using Csrunsc.State;

namespace Csrunsc.Cli;

/// <summary>
/// `create --bundle B --pid-file P [--console-socket S] ID`: starts the sandbox with init loaded and
/// held, runs the create-time hooks, writes the pid file (the sandbox process) and returns.
/// </summary>
public static class CreateCommand
{
    public static readonly string[] ValueFlags = ["bundle|b", "pid-file", "console-socket", "preserve-fds"];
    public static readonly string[] BoolFlags = ["no-pivot", "no-new-keyring"];

    public static int Run(string[] args, GlobalOptions global)
    {
        var a = CommandArgs.Parse(args, ValueFlags, BoolFlags, out string? error);
        if (error is not null) return Fail(error);
        string? id = Containers.IdArg(a);
        int r = Create(global, a, id, newSession: true, out _, out error, out _, out _);
        return r == 0 ? 0 : Fail(error!);
    }

    private static int Fail(string error)
    {
        Log.Error(error);
        return 1;
    }

    /// <summary>
    /// The create steps, shared with `run`. Returns 0 and the sandbox pid, or 1 with error (nothing
    /// left behind). foreground (`run` without --detach): a terminal without a console socket is the
    /// runtime's own, proxied to the caller's terminal by the returned console (runc's tty.go), and
    /// the sandbox then gets a session of its own; without a terminal, the caller's terminals among
    /// fds 0-2 are relayed through the returned pipes (runc's setupProcessPipes).
    /// </summary>
    public static int Create(GlobalOptions global, CommandArgs a, string? id, bool newSession, out ContainerState? state, out string? error,
        out ConsoleProxy? console, out StdioPipes? pipes, bool foreground = false)
    {
        state = null;
        console = null;
        pipes = null;
        if (string.IsNullOrEmpty(id))
        {
            error = "container id cannot be empty";
            return 1;
        }
        if (!StateStore.ValidId(id))
        {
            error = $"invalid container id format: {id}";
            return 1;
        }
        string bundle = Path.GetFullPath(a.Value("bundle") ?? Directory.GetCurrentDirectory());
        if (BundleLoader.Load(bundle, out OciSpec? spec, out string rootfs, out error) != 0) return 1;
        if ((error = NamespacePlan.Validate(spec!)) is not null) return 1;
        if ((error = NamespacePlan.CheckJoinedUser(spec!, new StateStore(global.Root))) is not null) return 1;
        string? consoleSocket = a.Value("console-socket");
        // runc's checkTerminal.
        if (!foreground && spec!.Process!.Terminal && consoleSocket is null)
        {
            error = "cannot allocate tty if runc will detach without setting console socket";
            return 1;
        }
        if ((foreground || !spec!.Process!.Terminal) && consoleSocket is not null)
        {
            error = "cannot use console socket if runc will not detach or allocate tty";
            return 1;
        }
        if (spec!.Process?.ApparmorProfile is { Length: > 0 } profile && ConfigFields.AppArmorEnabled())
            Log.Warning($"AppArmor profile \"{profile}\" is not applied: the container's system calls never reach the host kernel (the sandbox's host processes have their own seccomp policy)");
        Seccomp.SeccompProfile.Compile(spec!.Linux?.Seccomp, out error);
        if (error is not null) return 1;
        var store = new StateStore(global.Root);
        try
        {
            if (!store.TryCreate(id))
            {
                error = $"container with id exists: {id}";
                return 1;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"cannot create the state directory under {global.Root}: {e.Message}";
            return 1;
        }

        if (foreground && spec!.Process!.Terminal)
        {
            console = ConsoleProxy.Open(out error);
            if (console is null)
            {
                store.Remove(id);
                return 1;
            }
            newSession = true; // the caller's terminal's signals are ours to handle, not the sandbox's
        }
        else if (foreground)
        {
            pipes = StdioPipes.ForTerminals(out error);
            if (error is not null)
            {
                store.Remove(id);
                return 1;
            }
        }
        var namespaces = NamespacePlan.Compute(spec!, store);
        // A pod's app container joins its pod's sandbox (one Sentry per pod) when it can.
        var pod = PodMembership.SandboxFor(spec!, store, namespaces, out string? separate);
        if (separate is not null) Log.Debug($"container {id} gets a sandbox of its own: {separate}");
        // The cgroups are made and limited before anything starts (runc's errors for bad values come
        // first), and the sandbox process joins them before it starts the gofer and the stubs.
        var cgroups = Cgroups.Create(Cgroups.PathFor(spec!.Linux?.CgroupsPath, id), out error);
        if (error is null && spec.Linux?.Resources is { } res) error = Cgroups.Apply(cgroups, res);
        if (error is not null)
        {
            Cgroups.Remove(cgroups);
            console?.Dispose();
            console = null;
            pipes?.Dispose();
            pipes = null;
            store.Remove(id);
            return 1;
        }
        int goferPid = 0;
        var procs = Cgroups.ProcsFiles(cgroups);
        int pid = pod is not null
            ? MemberLauncher.Launch(global, id, bundle, rootfs, spec!, pod, consoleSocket, console?.Slave ?? -1, namespaces, newSession, out goferPid, out error, pipes?.GuestStdio)
            : SandboxLauncher.Launch(global, id, bundle, consoleSocket, console?.Slave ?? -1, namespaces, newSession, procs, out error, pipes?.GuestStdio);
        if (pid < 0)
        {
            foreach (int f in procs) Libc.Close(f);
            Cgroups.Remove(cgroups);
            console?.Dispose();
            console = null;
            pipes?.Dispose();
            pipes = null;
            store.Remove(id);
            return 1;
        }
        state = new ContainerState
        {
            Id = id, Bundle = bundle, Rootfs = rootfs, Pid = pid, PidStartTime = SandboxProcess.StartTime(pid),
            Status = "created", Created = DateTime.UtcNow, Owner = "", Annotations = spec!.Annotations, Namespaces = namespaces,
            Sandbox = pod?.Id, GoferPid = goferPid, GoferStartTime = SandboxProcess.StartTime(goferPid),
        };
        state.Cgroups = cgroups;
        // A pod member's guest processes run in the pod's Sentry (in the pod's cgroups): the stubs it
        // forks for this member go into the member's own cgroups.
        if (pod is not null)
        {
            // The member's pid-file process (its proxy) is in them too: containerd reads the pid's cgroups.
            foreach (int f in procs) Libc.WriteAll(f, System.Text.Encoding.ASCII.GetBytes(pid.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            if (procs.Count > 0 && !Containers.Control(store, state, "cgroups", out string cgReply, procs.ToArray()))
                Log.Debug($"container {id}: its cgroups were not given to the sandbox: {cgReply}");
        }
        foreach (int f in procs) Libc.Close(f);
        store.Save(state);

        var oci = Containers.ToOci(state);
        oci.Status = "creating"; // what runc passes the create-time hooks (the state file says "created" only once they ran)
        error = Hooks.Run("prestart", spec.Hooks?.Prestart, oci)
            ?? Hooks.Run("createRuntime", spec.Hooks?.CreateRuntime, oci)
            ?? Hooks.Run("createContainer", spec.Hooks?.CreateContainer, oci);
        if (error is not null)
        {
            Destroy(store, state, pid);
            return 1;
        }
        if (a.Value("pid-file") is { } pidFile && WritePidFile(pidFile, pid) is { } pfErr)
        {
            error = pfErr;
            Destroy(store, state, pid);
            return 1;
        }
        return 0;
    }

    private static void Destroy(StateStore store, ContainerState state, int pid)
    {
        Libc.Kill(pid, Libc.SIGKILL);
        HostProcess.Wait(pid);
        if (state.Sandbox is not null) DeleteCommand.ReleaseMember(store, state);
        Cgroups.Remove(state.Cgroups);
        store.Remove(state.Id);
    }

    /// <summary>Writes the pid file atomically (the shim reads it as soon as create returns).</summary>
    public static string? WritePidFile(string path, int pid)
    {
        try
        {
            string full = Path.GetFullPath(path);
            string tmp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + ".tmp");
            File.WriteAllText(tmp, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            File.Move(tmp, full, overwrite: true);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot write pid file {path}: {e.Message}";
        }
    }
}
