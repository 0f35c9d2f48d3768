using System.Text;
using System.Text.Json;
using Csrunsc.Native;
using Csrunsc.Oci;
using Csrunsc.Sandbox;
using Csrunsc.State;

namespace Csrunsc.Cli;

/// <summary>
/// `exec [--process F | CMD...] [--detach --pid-file P] [--tty --console-socket S] ... ID`: runs a
/// process in the container's sandbox. Its pid-file process is a proxy whose signals reach the guest
/// process and whose exit status is the guest's; killing the proxy kills the guest process.
/// --tty in the foreground without --console-socket: the terminal is proxied to the caller's as
/// runc does (<see cref="ConsoleProxy"/>).
/// </summary>
public static class ExecCommand
{
    public static int Run(string[] args, GlobalOptions global)
    {
        // Everything after the id is the command, flags included.
        var a = CommandArgs.Parse(SplitAtCommand(args, out string[] command),
            ["console-socket", "cwd", "env|e", "user|u", "additional-gids|g", "process|p", "pid-file", "process-label",
             "apparmor", "cap|c", "preserve-fds", "cgroup"],
            ["tty|t", "detach|d", "no-new-privs", "ignore-paused"], out string? error);
        if (error is not null) return Fail(error);
        var store = new StateStore(global.Root);
        var state = Containers.Find(store, Containers.IdArg(a), out error);
        if (state is null) return Fail(error);
        string status = StateStore.CurrentStatus(state);
        if (status == "stopped") return Fail("cannot exec in a stopped container");
        if (status == "paused" && !a.Flag("ignore-paused")) return Fail("cannot exec in a paused container (use --ignore-paused to override)");

        var process = BuildProcess(a, command, state, out error);
        if (process is null) return Fail(error!);
        if (a.Value("apparmor") is { Length: > 0 } aa) process.ApparmorProfile = aa;
        if (a.Value("process-label") is { Length: > 0 } label) process.SelinuxLabel = label;
        if (RefusedOption(a, process) is { } refused) return Fail(refused);
        if (Containers.Spec(state) is { } spec && UserNamespaceCheck.CheckUser(UserNamespaceCheck.MapOf(spec), process.User) is { } unmapped)
            return Fail(unmapped);
        bool tty = a.Flag("tty") || process.Terminal;
        process.Terminal = tty; // the sandbox makes the pty the controlling terminal only then
        string payload = Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(process, OciSpecJsonContext.Default.OciProcess)));

        int[] stdio = [0, 1, 2];
        bool detach = a.Flag("detach");
        string? socket = a.Value("console-socket");
        // runc's checkTerminal.
        if ((!detach || !tty) && socket is not null) return Fail("cannot use console socket if runc will not detach or allocate tty");
        ConsoleProxy? console = null;
        StdioPipes? pipes = null;
        if (!tty && !detach)
        {
            // runc's setupProcessPipes: a terminal among the caller's stdio reaches the process as a pipe.
            pipes = StdioPipes.ForTerminals(out error);
            if (error is not null) return Fail(error);
            if (pipes is not null) stdio = pipes.GuestStdio;
        }
        else if (tty && !detach)
        {
            console = ConsoleProxy.Open(out error);
            if (console is null) return Fail(error!);
            stdio = [console.Slave, console.Slave, console.Slave];
        }
        else if (tty)
        {
            if (socket is null) return Fail("cannot allocate tty if runc will detach without setting console socket");
            if (Libc.OpenPty(out int master, out int slave) < 0) return Fail("cannot open a pseudo-terminal");
            // The slave is the far end of the sandbox's pty bridge: raw, so only the guest's line discipline acts on the bytes.
            Libc.MakeRaw(slave);
            int r = UnixSocket.SendConsole(socket, master);
            Libc.Close(master);
            if (r < 0) return Fail($"cannot send the console to {socket}: {Errno.Name(-r)}");
            stdio = [slave, slave, slave];
        }

        string control = Containers.ControlSocket(store, state);
        if (!detach)
        {
            if (a.Value("pid-file") is { } pf && CreateCommand.WritePidFile(pf, Libc.GetPid()) is { } pfErr)
            {
                console?.Dispose();
                pipes?.Dispose();
                return Fail(pfErr);
            }
            string request = "exec " + payload + (console is null ? "" : " -onlcr");
            return ExecProxyCommand.Proxy(control, Containers.Request(state, request), stdio, readyFd: -1, console: console, pipes: pipes);
        }

        if (HostProcess.Pipe(out int readyRead, out int readyWrite) < 0) return Fail("pipe failed");
        var proxyArgs = new List<string> { "csrunsc-exec", "--root", global.Root, "exec-proxy", "--control", control, "--process", payload, "--ready-fd", "3" };
        if (state.Sandbox is not null) proxyArgs.AddRange(["--container", state.Id]);
        int pid = HostProcess.Spawn(BootCommand.SelfPath, proxyArgs, [(stdio[0], 0), (stdio[1], 1), (stdio[2], 2), (readyWrite, 3)]);
        Libc.Close(readyWrite);
        if (tty) Libc.Close(stdio[0]);
        if (pid < 0)
        {
            Libc.Close(readyRead);
            return Fail("cannot start the exec process: " + Errno.Name(-pid));
        }
        string reply = HostProcess.ReadAll(readyRead).Trim();
        Libc.Close(readyRead);
        if (reply != "ok")
        {
            HostProcess.Wait(pid);
            return Fail(reply.StartsWith("error ", StringComparison.Ordinal) ? reply[6..] : "exec failed");
        }
        if (a.Value("pid-file") is { } pidFile && CreateCommand.WritePidFile(pidFile, pid) is { } err)
        {
            Libc.Kill(pid, Libc.SIGKILL);
            return Fail(err);
        }
        return 0;
    }

    /// <summary>
    /// What exec cannot honour fails rather than being ignored: the process's SELinux label and
    /// AppArmor profile as create answers them (ConfigFields), extra preserved fds, a sub-cgroup.
    /// </summary>
    private static string? RefusedOption(CommandArgs a, OciProcess process)
    {
        if (a.Value("preserve-fds") is { } n && n != "0") return "--preserve-fds is not supported by csrunsc exec";
        if (a.Value("cgroup") is { Length: > 0 }) return "--cgroup is not supported by csrunsc exec (the process runs in the container's cgroups)";
        var doc = JsonSerializer.SerializeToElement(process, OciSpecJsonContext.Default.OciProcess);
        foreach (var path in new[] { "process.apparmorProfile", "process.selinuxLabel", "process.ioPriority", "process.scheduler", "process.execCPUAffinity" })
        {
            var field = ConfigFields.All.Single(f => f.Path == path);
            if (doc.TryGetProperty(path["process.".Length..], out var v) && field.Refuse?.Invoke(v) is { } why) return why;
        }
        return null;
    }

    /// <summary>Like runc: exec's own failures exit 255 (not 1) with "exec failed: " before the cause.</summary>
    internal static int Fail(string error)
    {
        Log.Error("exec failed: " + error);
        return 255;
    }

    /// <summary>Splits "flags... ID cmd args..." : the first positional is the id, the rest is the command.</summary>
    private static string[] SplitAtCommand(string[] args, out string[] command)
    {
        string[] valueFlags = ["--console-socket", "--cwd", "--env", "-e", "--user", "-u", "--additional-gids", "-g", "--process", "-p",
            "--pid-file", "--process-label", "--apparmor", "--cap", "-c", "--preserve-fds", "--cgroup"];
        for (int i = 0; i < args.Length; i++)
        {
            string x = args[i];
            if (x == "--") { command = args[(i + 2)..]; return args[..Math.Min(i + 2, args.Length)].Where(s => s != "--").ToArray(); }
            if (valueFlags.Contains(x)) { i++; continue; }
            if (x.StartsWith('-')) continue;
            command = args[(i + 1)..];
            return args[..(i + 1)];
        }
        command = [];
        return args;
    }

    private static OciProcess? BuildProcess(CommandArgs a, string[] command, ContainerState state, out string? error)
    {
        error = null;
        if (a.Value("process") is { } file)
        {
            try
            {
                var p = JsonSerializer.Deserialize(File.ReadAllText(file), OciSpecJsonContext.Default.OciProcess);
                if (p?.Args is not { Count: > 0 }) error = "args must not be empty";
                return error is null ? p : null;
            }
            catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
            {
                error = $"cannot read process file {file}: {e.Message}";
                return null;
            }
        }
        if (command.Length == 0)
        {
            error = "exec: args must not be empty";
            return null;
        }
        var base_ = Containers.Spec(state)?.Process ?? new OciProcess();
        var env = new List<string>(base_.Env ?? []);
        foreach (var e in a.Values("env"))
        {
            int eq = e.IndexOf('=');
            string key = eq < 0 ? e : e[..eq];
            env.RemoveAll(x => x.StartsWith(key + "=", StringComparison.Ordinal));
            env.Add(e);
        }
        var user = new OciUser { Uid = base_.User.Uid, Gid = base_.User.Gid, AdditionalGids = base_.User.AdditionalGids, Umask = base_.User.Umask };
        if (a.Value("user") is { } u)
        {
            var parts = u.Split(':');
            if (!uint.TryParse(parts[0], out uint uid) || (parts.Length > 1 && !uint.TryParse(parts[1], out _)))
            {
                error = $"invalid user {u}: only numeric uid[:gid] is supported";
                return null;
            }
            user.Uid = uid;
            user.Gid = parts.Length > 1 ? uint.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : 0;
        }
        foreach (var g in a.Values("additional-gids"))
            if (uint.TryParse(g, out uint gid)) (user.AdditionalGids ??= new List<uint>()).Add(gid);
        return new OciProcess
        {
            Args = command.ToList(), Env = env, Cwd = a.Value("cwd") ?? base_.Cwd, User = user, Terminal = a.Flag("tty"),
            Rlimits = base_.Rlimits, NoNewPrivileges = base_.NoNewPrivileges || a.Flag("no-new-privs"),
            Capabilities = WithExtraCapabilities(base_.Capabilities, a.Values("cap")),
        };
    }

    /// <summary>
    /// The spec's capabilities plus each --cap in bounding, effective and permitted, and in ambient
    /// only when the spec has an inheritable list (runc since CVE-2022-29162: --cap grants no inheritable).
    /// </summary>
    private static OciCapabilities? WithExtraCapabilities(OciCapabilities? spec, IEnumerable<string> extra)
    {
        var caps = extra.ToList();
        if (caps.Count == 0) return spec;
        var c = new OciCapabilities
        {
            Bounding = [.. spec?.Bounding ?? [], .. caps],
            Effective = [.. spec?.Effective ?? [], .. caps],
            Permitted = [.. spec?.Permitted ?? [], .. caps],
            Inheritable = spec?.Inheritable,
            Ambient = spec?.Inheritable is null ? spec?.Ambient : [.. spec.Ambient ?? [], .. caps],
        };
        return c;
    }
}
