using Csrunsc.Native;
using Csrunsc.Oci;
using Csrunsc.Sandbox;
using Csrunsc.State;

namespace Csrunsc.Cli;

/// <summary>
/// `csrunsc boot --bundle B --id ID --ready-fd N [--console-socket S | --console-fd N]` (internal): the sandbox
/// process. It starts the gofer, listens on the control socket, loads init, reports readiness on
/// the ready fd, and then lives exactly as long as the container's init, exiting with its status.
/// --console-fd: the terminal is a host pty slave `run` holds the master of (<see cref="ConsoleProxy"/>).
/// </summary>
public static class BootCommand
{
    public static int Run(string[] args, GlobalOptions global)
    {
        // Into the container's cgroups before anything else: the gofer and every stub start there.
        string? cgroupError = JoinCgroups(args);
        // The host's network namespace, kept before the Sentry leaves it: a config without a
        // network namespace puts the guest's sockets there, as runc does.
        int hostNetNs = Libc.OpenPath("/proc/self/ns/net", Libc.O_RDONLY | Libc.O_CLOEXEC);
        string? isolation = Isolate(out bool isolated);
        var a = CommandArgs.Parse(args, ["bundle", "id", "ready-fd", "console-socket", "console-fd", "namespaces", "profile-fd", "cgroup-fds"], [], out string? error);
        int readyFd = int.TryParse(a.Value("ready-fd"), out int rf) ? rf : -1;
        ReportCrashes(readyFd);
        if (cgroupError is not null) return Fail(readyFd, cgroupError);
        string bundle = a.Value("bundle") ?? ".";
        string id = a.Value("id") ?? "";
        if (error is not null) return Fail(readyFd, error);
        // --debug-log DIR: ID.sandbox.PID.log, opened before the Sentry chroots and drops root.
        DebugLog.Begin(global.DebugLog, id, "sandbox", $"csrunsc boot: the sandbox of {id} (the Sentry), bundle {bundle}");
        if (BundleLoader.Load(bundle, out OciSpec? spec, out string rootfs, out error) != 0) return Fail(readyFd, error);
        bundle = Path.GetFullPath(bundle);
        // process.oomScoreAdj on every host process of the sandbox (the gofer and stubs inherit it),
        // before any of them starts: the host's OOM killer is what enforces it.
        if (spec!.Process?.OomScoreAdj is int adj && WriteOomScoreAdj(adj) is var oe and < 0)
            return Fail(readyFd, $"write /proc/self/oom_score_adj: {Errno.Describe(-oe)}");
        var store = new StateStore(global.Root);
        string sandboxDir = store.SandboxDir(id);
        Directory.CreateDirectory(sandboxDir);

        // The gofer: our child, so that we reap it. It stops being host root too, as the sandbox's
        // uid (GoferCapabilities), whenever the Sentry does.
        uint? goferUid = Environment.GetEnvironmentVariable("CSRUNSC_NO_CONFINE") == "1" ? null : Sentry.Boot.HostPrivileges.SandboxUid(Libc.GetPid());
        int goferPid = GoferLauncher.Start(spec!, bundle, rootfs, goferUid, 2, newSession: false, global.DebugLog, id, out int sentryEnd);
        if (goferPid < 0) return Fail(readyFd, "cannot start the gofer: " + Errno.Name(-goferPid));

        int listenFd = UnixSocket.Listen(store.ControlSocket(id));
        if (listenFd < 0) return Fail(readyFd, "cannot listen on the control socket: " + Errno.Name(-listenFd), goferPid);

        int[] stdio = [0, 1, 2];
        bool proxiedConsole = int.TryParse(a.Value("console-fd"), out int consoleFd);
        if (!spec!.Process!.Terminal)
        {
            // Descriptions of our own, non-blocking for the Sentry's poller (the caller's stay as they are).
            for (int i = 0; i < 3; i++)
            {
                int own = HostFdImport.ReopenNonBlocking(i);
                if (own >= 0) stdio[i] = own;
            }
        }
        else if (proxiedConsole)
        {
            // `run` keeps the master and proxies the caller's terminal; it made the slave raw and sized it.
            Libc.Fcntl(consoleFd, Libc.F_SETFL, Libc.Fcntl(consoleFd, Libc.F_GETFL, 0) | Libc.O_NONBLOCK);
            stdio = [consoleFd, Libc.Fcntl(consoleFd, Libc.F_DUPFD_CLOEXEC, 3), Libc.Fcntl(consoleFd, Libc.F_DUPFD_CLOEXEC, 3)];
        }
        else
        {
            string? socket = a.Value("console-socket");
            if (socket is null) return Fail(readyFd, "cannot allocate tty if runc will detach without setting console socket", goferPid);
            if (Libc.OpenPty(out int master, out int slave) < 0) return Fail(readyFd, "cannot open a pseudo-terminal", goferPid);
            // The slave is the far end of the sandbox's pty bridge: raw, so only the guest's line discipline acts on the bytes.
            Libc.MakeRaw(slave);
            if (spec.Process.ConsoleSize is { } size) SetWindowSize(master, size.Height, size.Width);
            int r = UnixSocket.SendConsole(socket, master);
            Libc.Close(master);
            if (r < 0) return Fail(readyFd, $"cannot send the console to {socket}: {Errno.Name(-r)}", goferPid);
            // Ours alone: non-blocking for the Sentry's poller. Three fds, each closed on its own.
            Libc.Fcntl(slave, Libc.F_SETFL, Libc.Fcntl(slave, Libc.F_GETFL, 0) | Libc.O_NONBLOCK);
            stdio = [slave, Libc.Fcntl(slave, Libc.F_DUPFD_CLOEXEC, 3), Libc.Fcntl(slave, Libc.F_DUPFD_CLOEXEC, 3)];
        }

        var network = NetworkFor(spec, hostNetNs, out error);
        if (network is null) return Fail(readyFd, error!, goferPid);
        SandboxConfig.CaptureHostCapabilities();
        var options = SandboxConfig.From(spec, bundle, sandboxDir, global, stdio, NamespacePlan.Parse(a.Value("namespaces")), network,
            clearOnlcr: proxiedConsole);
        if (int.TryParse(a.Value("profile-fd"), out int profileFd)) options.ProfileFd = profileFd;
        if (isolation is not null) options.EventSink(isolation);
        if (isolated) SetSandboxHostname(options.Hostname);
        // The pid-file process's namespace is what the pod's other containers join; setns needs
        // host privileges, which the Sentry gives up in Create.
        int joined = network.JoinFromCallingThread();
        if (joined < 0) return Fail(readyFd, "cannot enter the container's network namespace: " + Errno.Name(-joined), goferPid);
        var sandbox = Sentry.Boot.Sandbox.Create(options, sentryEnd, out error);
        if (sandbox is null)
        {
            // No longer root, so the gofer cannot be killed: closing its channel ends it.
            Libc.Close(sentryEnd);
            return Fail(readyFd, error ?? "sandbox start failed", goferPid);
        }
        sandbox.Kernel.Gofer!.ChannelLost = why =>
            new Thread(() => sandbox.EndBecauseGoferLost(why + GoferExit(goferPid))) { IsBackground = true, Name = "gofer-lost" }.Start();
        new ControlServer(listenFd, sandbox, bundle, options.Init.Seccomp, options.Init.SeccompLog).Start();
        Ready(readyFd);

        int code = sandbox.WaitForExit();
        sandbox.Kernel.Gofer?.Dispose();
        HostProcess.Wait(goferPid);
        return code;
    }

    /// <summary>
    /// First thing in the sandbox process: new mount, IPC, UTS and network namespaces for the Sentry
    /// and everything it starts (gofer, stubs). The Sentry needs no network at all. Namespaces are
    /// per thread in Linux, and this runs before the runtime has started more than its one helper
    /// thread, so every thread the Sentry later creates inherits them. Returns a warning line, or null.
    /// </summary>
    private static string? Isolate(out bool isolated)
    {
        isolated = false;
        if (Environment.GetEnvironmentVariable("CSRUNSC_NO_CONFINE") == "1") return null;
        isolated = Libc.Unshare(Libc.CLONE_NEWNS | Libc.CLONE_NEWIPC | Libc.CLONE_NEWUTS | Libc.CLONE_NEWNET) == 0;
        if (isolated) return null;
        return $"csrunsc: warning: the sandbox runs in the host's namespaces: unshare failed: {Errno.Name(Libc.LastErrno)}\n";
    }

    /// <summary>
    /// The sandbox process's own UTS namespace (made by <see cref="Isolate"/>) carries the guest's
    /// hostname, so that whoever joins /proc/PID/ns/uts of the pid-file process (a pod's other
    /// containers, under any runtime) sees the name the guest sees.
    /// </summary>
    private static unsafe void SetSandboxHostname(string hostname)
    {
        byte[] name = System.Text.Encoding.UTF8.GetBytes(hostname);
        fixed (byte* p = name) Libc.SetHostname(p, (nuint)name.Length);
    }

    /// <summary>
    /// The guest's network namespace as runc chooses it: the one named by path (which must be a
    /// network namespace), a new one with loopback up when listed without a path, the host's when
    /// not listed; then config.json's net.* sysctls applied in it (refused in the host's, as runc).
    /// </summary>
    private static Sentry.Fs.Socket.Host.HostNetwork? NetworkFor(OciSpec spec, int hostNetNs, out string? error)
    {
        error = null;
        var entry = spec.Linux?.Namespaces?.FirstOrDefault(n => n.Type == "network");
        var origin = entry is null ? Sentry.Fs.Socket.Host.HostNetwork.Origin.Host
            : string.IsNullOrEmpty(entry.Path) ? Sentry.Fs.Socket.Host.HostNetwork.Origin.New
            : Sentry.Fs.Socket.Host.HostNetwork.Origin.Joined;
        int fd = -1;
        if (origin == Sentry.Fs.Socket.Host.HostNetwork.Origin.Joined)
        {
            Libc.Close(hostNetNs);
            fd = Libc.OpenPath(entry!.Path!, Libc.O_RDONLY | Libc.O_CLOEXEC);
            if (fd < 0)
            {
                error = $"namespace path: lstat {entry.Path}: {Errno.Describe(Libc.LastErrno)}";
                return null;
            }
            if (Libc.NamespaceType(fd) != Libc.CLONE_NEWNET)
            {
                Libc.Close(fd);
                error = $"namespace path {entry.Path} is not a network namespace";
                return null;
            }
        }
        else if (origin == Sentry.Fs.Socket.Host.HostNetwork.Origin.Host)
        {
            fd = hostNetNs;
            if (fd < 0)
            {
                error = "cannot open the host's network namespace: " + Errno.Name(Libc.LastErrno);
                return null;
            }
        }
        else
        {
            Libc.Close(hostNetNs);
        }
        var sysctls = (spec.Linux?.Sysctl ?? []).Where(kv => kv.Key.StartsWith("net.", StringComparison.Ordinal)).ToList();
        if (origin == Sentry.Fs.Socket.Host.HostNetwork.Origin.Host && sysctls.Count > 0)
        {
            if (fd >= 0) Libc.Close(fd);
            error = $"sysctl \"{sysctls[0].Key}\" not allowed in host network namespace";
            return null;
        }
        var network = Sentry.Fs.Socket.Host.HostNetwork.Start(origin, fd, out error);
        if (network is null) return null;
        foreach (var (key, value) in sysctls)
        {
            string path = "sys/" + key.Replace('.', '/');
            if (key.Contains("..", StringComparison.Ordinal) || key.Contains('/'))
            {
                error = $"invalid sysctl name {key}";
                return null;
            }
            int r = network.WriteProc(path, value);
            if (r < 0)
            {
                error = $"cannot set sysctl {key}={value}: {Errno.Name(-r)}";
                return null;
            }
        }
        return network;
    }

    public static string SelfPath => Environment.ProcessPath ?? "/proc/self/exe";

    internal static unsafe void SetWindowSize(int fd, uint rows, uint cols)
    {
        ushort* ws = stackalloc ushort[4];
        ws[0] = (ushort)rows;
        ws[1] = (ushort)cols;
        ws[2] = ws[3] = 0;
        Libc.Ioctl(fd, 0x5414 /*TIOCSWINSZ*/, ws);
    }

    /// <summary>Writes "0" (this process) to each cgroup.procs fd of --cgroup-fds, then closes them.</summary>
    private static string? JoinCgroups(string[] args)
    {
        int at = Array.IndexOf(args, "--cgroup-fds");
        if (at < 0 || at + 1 >= args.Length) return null;
        string? error = null;
        foreach (var part in args[at + 1].Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, out int fd)) continue;
            if (error is null && !Libc.WriteAll(fd, "0"u8)) error = "cannot join the container's cgroup: " + Errno.Describe(Libc.LastErrno);
            Libc.Close(fd);
        }
        return error;
    }

    private static int s_readyFd = -1;

    private static void Ready(int readyFd)
    {
        if (readyFd < 0) return;
        s_readyFd = -1;
        Libc.WriteString(readyFd, "ok\n");
        Libc.Close(readyFd);
    }

    /// <summary>
    /// A bug in the Sentry must surface as its cause, not as a bare EOF: before readiness the cause
    /// goes back to `create`, and always to --log (and stderr) before the process dies.
    /// </summary>
    private static void ReportCrashes(int readyFd)
    {
        s_readyFd = readyFd;
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            string what = e.ExceptionObject is Exception ex ? $"{ex.GetType().Name}: {ex.Message}" : "unknown error";
            string line = "sandbox failure (Sentry bug): " + what;
            int fd = Interlocked.Exchange(ref s_readyFd, -1);
            if (fd >= 0) Libc.WriteString(fd, "error " + line.Replace('\n', ' ') + "\n");
            Log.Error(line + (e.ExceptionObject is Exception x ? "\n" + x.StackTrace : ""));
        };
    }

    private static int WriteOomScoreAdj(int value)
    {
        int fd = Libc.OpenPath("/proc/self/oom_score_adj", Libc.O_WRONLY | Libc.O_CLOEXEC);
        if (fd < 0) return -Libc.LastErrno;
        bool ok = Libc.WriteAll(fd, System.Text.Encoding.ASCII.GetBytes(value.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        int e = Libc.LastErrno;
        Libc.Close(fd);
        return ok ? 0 : -e;
    }

    /// <summary>"; the gofer (pid N) was killed by signal S" once it is reaped (waited for up to a second), else "".</summary>
    private static string GoferExit(int goferPid)
    {
        for (int i = 0; i < 100; i++)
        {
            if (Libc.WaitPidRetry(goferPid, out int status, Libc.WNOHANG) == goferPid)
                return Libc.WIfSignaled(status)
                    ? $"; the gofer (pid {goferPid}) was killed by signal {Libc.WTermSig(status)}"
                    : $"; the gofer (pid {goferPid}) exited with status {Libc.WExitStatus(status)}";
            Thread.Sleep(10);
        }
        return "";
    }

    private static int Fail(int readyFd, string error, int goferPid = -1)
    {
        s_readyFd = -1;
        if (readyFd >= 0)
        {
            Libc.WriteString(readyFd, "error " + error.Replace('\n', ' ') + "\n");
            Libc.Close(readyFd);
        }
        else
        {
            Log.Error(error);
        }
        if (goferPid > 0)
        {
            Libc.Kill(goferPid, Libc.SIGKILL);
            HostProcess.Wait(goferPid);
        }
        return 1;
    }
}
