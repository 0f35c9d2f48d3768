using System.Runtime.InteropServices;
using Csrunsc.Gofer;
using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Dev;
using Csrunsc.Sentry.Fs.Gofer;
using Csrunsc.Sentry.Fs.Host;
using Csrunsc.Sentry.Fs.Proc;
using Csrunsc.Sentry.Fs.Pty;
using Csrunsc.Sentry.Fs.Sys;
using Csrunsc.Sentry.Fs.Tmpfs;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Memory;
using Csrunsc.Sentry.Platform.Ptrace;
using Csrunsc.Sentry.Syscalls;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Boot;

/// <summary>
/// One sandbox: the kernel with its mounts, the container's init (loaded at create, released at
/// start) and the operations the runtime's commands reach through the control socket.
/// </summary>
public sealed class Sandbox
{
    private static readonly bool s_traceBoot = Environment.GetEnvironmentVariable("CSRUNSC_TRACE_BOOT") == "1";

    private readonly ManualResetEventSlim _startGate = new(false);
    private SignalForwarder? _signalForwards;
    private bool _exitSummary;
    private int _profileFd = -1;

    /// <summary>The host's /proc/cpuinfo and /proc/meminfo, read before the Sentry confined itself (later members' /proc needs them).</summary>
    private string _cpuinfo = "", _meminfo = "";

    private Sandbox(Kernel.Kernel kernel, Task init)
    {
        Kernel = kernel;
        Init = init;
    }

    public Kernel.Kernel Kernel { get; }
    public Task Init { get; }
    public bool Started => _startGate.IsSet;

    private static void Trace(string what)
    {
        if (s_traceBoot) Libc.WriteString(2, "csrunsc boot: " + what + "\n");
    }

    /// <summary>
    /// Builds the kernel, confines the Sentry and loads the init program (blocked until <see cref="Start"/>).
    /// Returns null with a one-line error (runc's wording where callers match it) on failure.
    /// </summary>
    public static Sandbox? Create(SandboxOptions options, int goferFd, out string? error)
    {
        error = null;
        var events = new SyscallEventLog(options.EventSink, options.Strace, options.StraceSyscalls);
        Trace("start");
        var (cpuinfo, meminfo) = ProcFileSystem.ReadHostFiles();

        var memoryFile = new MemoryFile();
        var image = new StubImage();
        string stubPath = Path.Combine(options.SandboxDir, "stub");
        PtracePlatform.InstallStub(stubPath, image);
        // Another platform (KVM) is built before the Sentry confines itself: it opens /dev/kvm.
        Platform.IPlatform? chosen = null;
        if (options.Platform is { } factory)
        {
            chosen = factory(memoryFile, events, out error);
            if (chosen is null) return null;
        }
        if (options.Confine)
        {
            int r = Confine(options.SandboxDir);
            if (r < 0)
            {
                error = $"cannot confine the sandbox: {Errno.Name(-r)}";
                return null;
            }
            stubPath = "/stub";
            // Before the first stub: from here on neither the Sentry nor its stubs are host root.
            // The network thread keeps the network capabilities the guest could ever hold (its bounding set).
            ulong guestCaps = (options.Init.Capabilities?.Bounding ?? 0) & (options.Init.Capabilities?.Host ?? 0);
            if (HostPrivileges.Drop(options.Network, guestCaps, out string? dropError) < 0)
            {
                error = "cannot drop the sandbox's host privileges: " + dropError;
                return null;
            }
            // Before the first stub too: the Sentry's own host filter, when asked for (opt-in).
            var seccomp = HostSeccomp.SentrySeccomp.FromEnvironment(out string? seccompError);
            if (seccompError is not null)
            {
                error = seccompError;
                return null;
            }
            if (HostSeccomp.SentrySeccomp.Install(seccomp, options.Network is not null) is var sr and < 0)
            {
                error = $"cannot install the Sentry's seccomp filter: {Errno.Name(-sr)}";
                return null;
            }
            if (seccomp == HostSeccomp.SentrySeccomp.Mode.Log)
                events.Write("csrunsc: warning: the Sentry's seccomp filter only logs violations (CSRUNSC_SENTRY_SECCOMP=log)\n");
        }
        var platform = chosen ?? new PtracePlatform(stubPath, memoryFile.Fd, image);

        var mounts = new MountTable();
        var kernel = new Kernel.Kernel(platform, memoryFile, mounts, events)
        {
            Hostname = options.Hostname,
            Gofer = new GoferClient(goferFd),
            Namespaces = new NamespaceIds(options.NamespaceIds),
        };
        if (options.Network is { } network) Fs.Socket.Host.HostNetworkSetup.Install(kernel, network);
        kernel.RootContainer.ProcCgroup = options.ProcCgroup;
        string? mountError = BuildMounts(kernel, kernel.Gofer!, mounts, options.Users, options.RootReadOnly, options.Mounts, options.ReadonlyPaths, options.MaskedPaths, options.Devices, cpuinfo, meminfo, options.CgroupViews);
        if (mountError is not null)
        {
            error = mountError;
            return null;
        }
        kernel.RootContainer.Devices = new DeviceCgroup(options.DeviceRules);
        kernel.RootContainer.Users = options.Users;
        var accounting = kernel.MemoryAccounting;
        if (MemInfoBytes(meminfo, "MemTotal") is > 0 and var hostTotal) accounting.HostTotal = (ulong)hostTotal;
        accounting.SwapTotal = (ulong)MemInfoBytes(meminfo, "SwapTotal");
        accounting.SwapFree = (ulong)MemInfoBytes(meminfo, "SwapFree");
        accounting.ContainerLimit = options.MemoryLimitBytes;
        long ramAndSwap = MemInfoBytes(meminfo, "MemTotal") + MemInfoBytes(meminfo, "SwapTotal");
        if (ramAndSwap > 0) kernel.Ipc.ReservableBytes = (ulong)ramAndSwap;
        error = ApplyIpcSysctls(kernel, options.IpcSysctls);
        if (error is not null) return null;
        Trace("mounts ready");

        var init = StartProcess(kernel, kernel.RootContainer, options.Init, options.InitStdio, isInit: true, onExit: null, out error);
        if (init is null) return null;
        var ready = new Sandbox(kernel, init) { _exitSummary = options.ExitSummary, _profileFd = options.ProfileFd, _cpuinfo = cpuinfo, _meminfo = meminfo };
        ready.ForwardHostSignals();
        Diagnostics.SentryEventSource.Start(kernel);
        Trace("init loaded");
        return ready;
    }

    /// <summary>The root filesystem from the gofer (attach 0), then the spec's mounts in order, then masked and read-only paths.</summary>
    private static string? BuildMounts(Kernel.Kernel kernel, GoferClient gofer, MountTable mounts, UserNamespaceMap users, bool rootReadOnly,
        IReadOnlyList<SandboxMount> specMounts, IReadOnlyList<string> readonlyPaths, IReadOnlyList<MaskedPath> maskedPaths, IReadOnlyList<DeviceNode> devices,
        string cpuinfo, string meminfo, IReadOnlyList<Fs.Cgroup.HostCgroupView> cgroupViews)
    {
        try
        {
            var rootFs = new GoferFileSystem(gofer, 0, rootReadOnly, users);
            mounts.Add(new Mount("/", rootFs, rootFs.Root, rootReadOnly, "rootfs", rootReadOnly ? "ro" : "rw"));
            foreach (var m in specMounts)
            {
                if (m.Type is "cgroup" or "cgroup2" && cgroupViews.Count > 0)
                {
                    MountCgroupViews(kernel, cgroupViews, mounts, NormalizePath(m.Destination), m);
                    continue;
                }
                var fs = MakeFileSystem(kernel, gofer, users, m, cpuinfo, meminfo);
                // The CLI refuses these at create (OciMounts); a mount never silently goes missing.
                if (fs is null) return $"mount of type {m.Type} at {m.Destination} is not supported";
                MountPoints.Ensure(mounts, NormalizePath(m.Destination), fs.Root.IsDirectory);
                mounts.Add(new Mount(NormalizePath(m.Destination), fs, fs.Root, m.ReadOnly || fs.ReadOnly, m.Source, m.Options, m.FsRoot));
                if (NormalizePath(m.Destination) == "/dev" && fs is TmpfsFileSystem dev) MakeDevices(dev, devices);
            }
            PathMasks.Apply(mounts, readonlyPaths, maskedPaths);
            return null;
        }
        catch (TmpfsOptionException e)
        {
            return e.Message;
        }
        catch (IOException e)
        {
            return "cannot attach the root filesystem through the gofer: " + e.Message;
        }
    }

    /// <summary>
    /// A config.json cgroup mount as runc makes it: on v1, a read-only tmpfs with one cgroup mount
    /// per hierarchy (each the container's own directory, its root the container's path); on v2 one
    /// cgroup2 mount. Every view is read-only and reads through to the host files.
    /// </summary>
    private static void MountCgroupViews(Kernel.Kernel kernel, IReadOnlyList<Fs.Cgroup.HostCgroupView> views, MountTable mounts, string dest, SandboxMount m)
    {
        if (views.Count == 1 && views[0].Name.Length == 0)
        {
            var fs2 = new ProcFileSystem(kernel, "cgroup2", views[0]);
            MountPoints.Ensure(mounts, dest, true);
            mounts.Add(new Mount(dest, fs2, fs2.Root, true, "cgroup2", m.Options, views[0].CgroupPath));
            return;
        }
        var top = new TmpfsFileSystem("tmpfs", readOnly: false, rootMode: Vfs.FileMode.Directory | 0x1ED);
        foreach (var v in views) top.Root.Mkdir(v.Name, 0x1ED, 0, 0);
        top.ReadOnly = true;
        MountPoints.Ensure(mounts, dest, true);
        mounts.Add(new Mount(dest, top, top.Root, true, "tmpfs", "nosuid,nodev,noexec,mode=755"));
        foreach (var v in views)
        {
            var fs = new ProcFileSystem(kernel, "cgroup", v);
            mounts.Add(new Mount(dest + "/" + v.Name, fs, fs.Root, true, "cgroup", m.Options, v.CgroupPath) { SuperOptions = "rw," + v.Controllers });
        }
    }

    /// <summary>linux.devices in the container's /dev (the host side checked they all lie under a tmpfs /dev).</summary>
    /// <summary>config.json's IPC sysctls, into the sandbox's IPC namespace (a pod's members share it, as they share the pause container's).</summary>
    private static string? ApplyIpcSysctls(Kernel.Kernel kernel, IReadOnlyList<KeyValuePair<string, string>> sysctls)
    {
        foreach (var (key, value) in sysctls)
            if (Csrunsc.Sentry.Kernel.Ipc.IpcSysctls.Apply(kernel.Ipc, key, value) is { } error) return error;
        return null;
    }

    private static void MakeDevices(TmpfsFileSystem dev, IReadOnlyList<DeviceNode> devices)
    {
        foreach (var d in devices)
        {
            uint type = d.Type switch { 'b' => Vfs.FileMode.Block, 'p' => Vfs.FileMode.Fifo, _ => Vfs.FileMode.CharDevice };
            ulong rdev = type == Vfs.FileMode.Fifo ? 0 : Fs.DeviceNumber.Make(d.Major, d.Minor);
            dev.ReplaceNode(NormalizePath(d.Path)["/dev".Length..], type | (d.Mode & 0xFFF), rdev, d.Uid, d.Gid);
        }
    }

    /// <summary>
    /// Creates a pod's later container in this sandbox: its mounts through its own gofer (goferFd,
    /// owned from now on), its init loaded and held until <see cref="Start(Container)"/>, its stdio
    /// the given host fds. onExit gets init's wait status. Returns init's guest pid, or -errno with error.
    /// </summary>
    public int CreateContainer(ContainerOptions options, int goferFd, int[] stdio, Action<int> onExit, out string? error)
    {
        var gofer = new GoferClient(goferFd);
        var mounts = new MountTable();
        error = BuildMounts(Kernel, gofer, mounts, options.Users, options.RootReadOnly, options.Mounts, options.ReadonlyPaths, options.MaskedPaths, options.Devices, _cpuinfo, _meminfo, options.CgroupViews);
        if (error is not null)
        {
            gofer.Dispose();
            return -Errno.EINVAL;
        }
        error = ApplyIpcSysctls(Kernel, options.IpcSysctls);
        if (error is not null)
        {
            gofer.Dispose();
            return -Errno.EINVAL;
        }
        var container = new Container(options.Id, mounts, new NamespaceIds(options.NamespaceIds), gofer)
        {
            Devices = new DeviceCgroup(options.DeviceRules),
            ProcCgroup = options.ProcCgroup,
            Users = options.Users,
        };
        if (!Kernel.AddContainer(container))
        {
            gofer.Dispose();
            error = $"container {options.Id} already exists in the sandbox";
            return -Errno.EEXIST;
        }
        var init = StartProcess(Kernel, container, options.Init, stdio, isInit: false, onExit, out error);
        if (init is null)
        {
            Kernel.RemoveContainer(container);
            gofer.Dispose();
            return -Errno.ENOENT;
        }
        container.InitTask = init;
        Trace($"container {options.Id} loaded as pid {init.ThreadGroup.Tgid}");
        return init.ThreadGroup.Tgid;
    }

    /// <summary>The sandbox's own container ("" or null) or a pod member by id; null if unknown.</summary>
    public Container? ContainerById(string? id) => Kernel.ContainerById(id ?? "");

    /// <summary>
    /// delete of a pod member: its remaining processes are killed, its mounts dropped and its gofer
    /// connection closed (which ends that gofer). The sandbox's own container ends with the sandbox.
    /// </summary>
    public bool DestroyContainer(Container c)
    {
        if (c == Kernel.RootContainer) return false;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (Kernel.GroupsOf(c) is { Length: > 0 } groups && DateTime.UtcNow < until)
        {
            foreach (var g in groups)
                if (!g.Zombie) Kernel.SendGroupSignal(g, new SigInfo { Signo = Libc.SIGKILL }, fromHost: true);
            Thread.Sleep(10);
        }
        Kernel.RemoveContainer(c);
        c.CloseCgroups();
        c.Gofer?.Dispose();
        return Kernel.GroupsOf(c).Length == 0;
    }

    /// <summary>A container's cgroups (cgroup.procs write fds, owned from now on): its stub processes go there, now and as they start.</summary>
    public void SetCgroups(Container c, int[] cgroupProcs)
    {
        var stubs = new List<int>();
        foreach (var g in Kernel.GroupsOf(c))
            foreach (var t in g.TasksSnapshot())
                if (t.Context is { HostPid: > 0 } ctx) stubs.Add(ctx.HostPid);
        c.SetCgroups(cgroupProcs, stubs.Distinct());
    }

    /// <summary>Releases a container's init (the `start` command).</summary>
    public void Start(Container c)
    {
        if (c == Kernel.RootContainer) Start();
        else c.InitTask?.ReleaseStartGate();
    }

    /// <summary>kill of one container: to its init, or with all to each of its processes.</summary>
    public void Signal(Container c, int sig, bool all)
    {
        if (c == Kernel.RootContainer && !all)
        {
            Kernel.SignalInitFromHost(sig);
            return;
        }
        if (!all)
        {
            var g = c.InitTask?.ThreadGroup;
            if (g is not null && !g.Zombie && Kernel.Pids.GroupById(g.Tgid) == g) Kernel.SendGroupSignal(g, new SigInfo { Signo = sig }, fromHost: true);
            return;
        }
        foreach (var g in Kernel.GroupsOf(c))
            Kernel.SendGroupSignal(g, new SigInfo { Signo = sig }, fromHost: true);
    }

    public void Pause(Container c) => Kernel.Freeze(c);

    public void Resume(Container c) => Kernel.Thaw(c);

    /// <summary>Releases init (the `start` command).</summary>
    public void Start() => Init.ReleaseStartGate();

    /// <summary>Waits for init to exit; returns the exit code (128+N for a signal).</summary>
    public int WaitForExit()
    {
        Kernel.InitExited.Wait();
        Trace("init exited with status " + Kernel.InitExitStatus);
        // Let the other tasks die (init's exit killed them) so their stubs are reaped.
        for (int i = 0; i < 200 && Volatile.Read(ref Kernel.LiveTasks) > 0; i++) Thread.Sleep(10);
        // The terminal's last output reaches the caller, and a caller's own terminal gets its mode back
        // (bounded: a caller that stopped reading holds a bridge's output).
        for (int i = 0; i < 100 && Volatile.Read(ref Kernel.LiveTerminalBridges) > 0; i++) Thread.Sleep(10);
        WriteExitSummary();
        WriteSeccompProfile();
        _signalForwards?.Dispose();
        return Libc.ExitCodeOf(Kernel.InitExitStatus);
    }

    /// <summary>
    /// At container exit, to the event log: the unimplemented, partial and refused syscalls the
    /// workload made (why a workload misbehaves is most often one of these).
    /// </summary>
    private void WriteSeccompProfile()
    {
        if (_profileFd < 0) return;
        Libc.WriteString(_profileFd, Diagnostics.SeccompProfile.Json(Kernel));
        Libc.Close(_profileFd);
        _profileFd = -1;
    }

    private void WriteExitSummary()
    {
        if (!_exitSummary) return;
        Kernel.Events.Write($"csrunsc: summary: {Kernel.Stats.Total} syscalls; init exited with status {Libc.ExitCodeOf(Kernel.InitExitStatus)}\n");
        foreach (var line in Kernel.Stats.Summary().Split('\n', StringSplitOptions.RemoveEmptyEntries)) Kernel.Events.Write(line + "\n");
    }

    /// <summary>
    /// Starts a process in the sandbox (`exec`): its stdio are the given host fds (owned by the
    /// sandbox from now on). onExit gets its wait status. Returns the guest pid or -errno.
    /// </summary>
    public int Exec(ProcessOptions process, int[] stdio, Action<int> onExit, out string? error) =>
        Exec(Kernel.RootContainer, process, stdio, onExit, out error);

    /// <summary>exec in one container of the pod: the process sees that container's mounts.</summary>
    public int Exec(Container container, ProcessOptions process, int[] stdio, Action<int> onExit, out string? error)
    {
        var t = StartProcess(Kernel, container, process, stdio, isInit: false, onExit, out error);
        if (t is null) return -Errno.ENOENT;
        t.ReleaseStartGate();
        return t.ThreadGroup.Tgid;
    }

    private static Task? StartProcess(Kernel.Kernel kernel, Container container, ProcessOptions options, int[] stdio, bool isInit, Action<int>? onExit, out string? error)
    {
        var m = options.Capabilities;
        if (!CapabilitySets.ForContainer(m?.Bounding ?? 0, m?.Effective ?? 0, m?.Permitted ?? 0, m?.Inheritable ?? 0,
                m?.Ambient ?? 0, m?.Host ?? 0, out var caps))
        {
            error = "unable to start container process: unable to apply caps: operation not permitted";
            return null;
        }
        var creds = Credentials.Of(options.Uid, options.Gid, options.AdditionalGids, in caps);
        var root = new VfsPath(container.Mounts.Root, container.Mounts.Root.Root, null, "");
        var fsContext = new FsContext(root, root, options.Umask);
        int tid = isInit ? 1 : kernel.Pids.Allocate();
        if (isInit) kernel.Pids.Allocate();
        var group = new ThreadGroup(kernel, tid, null, new SignalHandlers(), creds) { Pgid = tid, Sid = tid, Comm = "init", Container = container };
        group.OomScoreAdj = options.OomScoreAdj;
        group.OomScoreAdjMin = Math.Min(0, options.OomScoreAdj);
        foreach (var (res, soft, hard) in options.Rlimits)
            if ((uint)res < Rlimits.Count) group.Rlimits[res] = (soft, hard);
        Rlimits.ArmCpuLimit(group);
        var fds = new FdTable();
        fds.Limit = (int)Math.Min(group.Rlimits[Rlimits.NOFILE].Cur, Rlimits.NrOpen);
        // With process.terminal the pty among them is the process's controlling terminal, as runc makes it (setsid + TIOCSCTTY).
        int stdioError = ProcessStdio.Install(kernel, fds, group, stdio, host => !isInit || host > 2, options.Terminal, options.ClearOnlcr);
        if (stdioError < 0)
        {
            error = $"unable to start container process: cannot set up the terminal: {Errno.Name(-stdioError)}";
            return null;
        }
        var mm = new MemoryManager(kernel.MemoryFile, kernel.Platform.MinUserAddress, kernel.Platform.MaxUserAddress);
        var task = new Task(kernel, group, tid, mm, fds, fsContext) { NoNewPrivs = options.NoNewPrivileges };
        if (options.Seccomp is { } filter)
        {
            // Validated at create; as runc, installed after the credentials, before the user program.
            var program = Csrunsc.Sentry.Kernel.Seccomp.SeccompProgram.Create(filter, out _);
            if (program is not null) task.Seccomp = Csrunsc.Sentry.Kernel.Seccomp.SeccompFilterChain.Push(null, program, log: options.SeccompLog);
        }
        kernel.Pids.AddTask(task);
        kernel.Pids.AddGroup(group);
        group.AddTask(task);
        if (isInit) kernel.Init = group;

        string? startError = null;
        var loaded = new ManualResetEventSlim(false);
        task.StartGated(t =>
        {
            int r = LoadProgram(t, options, out startError);
            loaded.Set();
            return r;
        });
        loaded.Wait();
        error = startError;
        // Observed only once loaded: a process that never ran reports its error, not an exit status.
        // (It is still held at its start gate, so it cannot have exited yet.)
        if (startError is null) group.ExitObserver = onExit is null ? null : AfterTerminalOutput(fds, onExit);
        if (startError is not null)
        {
            // The task ends by itself (its program could not be loaded).
            if (isInit) kernel.InitExited.Wait();
            return null;
        }
        return task;
    }

    /// <summary>
    /// onExit once the output the process wrote to the container's terminal (its stdio) has reached
    /// the host side, 1 s at most: whoever hears of the exit (the exec proxy, then conmon or the
    /// shim) drains the caller's pty master then and stops, as the process's own last write is
    /// already there under runc.
    /// </summary>
    private static Action<int> AfterTerminalOutput(FdTable fds, Action<int> onExit)
    {
        HostTerminalBridge? bridge = null;
        for (int fd = 0; fd < 3 && bridge is null; fd++) bridge = HostTerminalBridge.Of(fds.Get(fd));
        if (bridge is null) return onExit;
        return status =>
        {
            bridge.WaitForOutputDelivered(1000);
            onExit(status);
        };
    }

    /// <summary>On the task's thread: chdir to cwd and exec args[0], searched in $PATH like runc.</summary>
    private static int LoadProgram(Task t, ProcessOptions options, out string? error)
    {
        error = null;
        int r = PathResolver.Resolve(t, Libc.AT_FDCWD, options.Cwd, true, out VfsPath? cwd);
        if (r < 0)
        {
            error = $"unable to start container process: chdir to cwd (\"{options.Cwd}\") set in config.json failed: {Describe(r)}";
            return r;
        }
        t.Fs.Cwd = cwd!;
        string arg0 = options.Args[0];
        var candidates = new List<string>();
        if (arg0.Contains('/')) candidates.Add(arg0);
        else
        {
            string path = options.Env.FirstOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..]
                ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
            foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries)) candidates.Add(dir.TrimEnd('/') + "/" + arg0);
        }
        long last = -Errno.ENOENT;
        foreach (var c in candidates)
        {
            last = t.Exec(Libc.AT_FDCWD, c, options.Args, options.Env);
            if (last == SyscallTable.NoReturn) return 0;
            if (last != -Errno.ENOENT && last != -Errno.ENOTDIR) break;
        }
        error = last == -Errno.ENOENT && !arg0.Contains('/')
            ? $"unable to start container process: exec: \"{arg0}\": executable file not found in $PATH"
            : $"unable to start container process: exec: \"{arg0}\": {Describe((int)last)}";
        return (int)last;
    }

    private static string Describe(int err) => -err switch
    {
        Errno.ENOENT => "no such file or directory",
        Errno.EACCES => "permission denied",
        Errno.ENOEXEC => "exec format error",
        Errno.ENOTDIR => "not a directory",
        Errno.ELOOP => "too many levels of symbolic links",
        _ => Errno.Name(-err),
    };

    /// <summary>Signals sent to the sandbox process (the pid file's pid) go to the container's init.</summary>
    private void ForwardHostSignals() => _signalForwards = new SignalForwarder(Kernel.SignalInitFromHost);

    /// <summary>kill: to init, or with all to every process of the sandbox's own container.</summary>
    public void Signal(int sig, bool all) => Signal(Kernel.RootContainer, sig, all);

    /// <summary>
    /// The gofer is gone (killed, crashed, or answering garbage): every later file operation would
    /// fail with EIO for good, so the container ends now, as runsc's does — one error line on the
    /// event log, then SIGKILL to every process; init's status (137) is the sandbox's exit status.
    /// </summary>
    public void EndBecauseGoferLost(string why)
    {
        Kernel.Events.Write($"csrunsc: error: lost the gofer ({why}); ending the container (SIGKILL to every process)\n");
        Signal(Libc.SIGKILL, all: true);
    }

    /// <summary>A signal from the host to one guest process (an exec'd process's proxy relays these).</summary>
    public int SignalProcess(int guestPid, int sig)
    {
        var g = Kernel.Pids.GroupById(guestPid);
        if (g is null) return -Errno.ESRCH;
        return Kernel.SendGroupSignal(g, new SigInfo { Signo = sig }, fromHost: true);
    }

    /// <summary>
    /// What `ps` reports: host pids only. Init is represented by the sandbox process itself (the pid
    /// file's pid, which is what callers know it by); every other guest process by its stub process.
    /// </summary>
    public List<int> HostPids()
    {
        var list = new List<int> { Environment.ProcessId };
        list.AddRange(HostPids(Kernel.RootContainer));
        return list;
    }

    /// <summary>The stub processes of one container's guest processes but its init (which is known by its pid file).</summary>
    public List<int> HostPids(Container c)
    {
        var pids = new SortedSet<int>();
        foreach (var g in Kernel.GroupsOf(c))
        {
            if (g == Kernel.Init || g == c.InitTask?.ThreadGroup) continue;
            foreach (var t in g.TasksSnapshot())
                if (t.Context is { HostPid: > 0 } ctx) pids.Add(ctx.HostPid);
        }
        return pids.ToList();
    }

    /// <summary>
    /// csrunsc debug: "syscall-stats" (strace -c-like table), "ps" (guest process tree), "fds PID",
    /// "mounts" (of the given container), "tasks" (the task table: each task's current syscall),
    /// "stats" (events --stats' sandbox figures, JSON), "seccomp-profile" (csrunsc profile).
    /// Null when the view or its argument names nothing (no such view, no such process).
    /// </summary>
    public string? DebugView(Container container, string what, string? arg)
    {
        switch (what)
        {
            case "syscall-stats": return Kernel.Stats.Table();
            case "ps": return Diagnostics.DebugViews.Ps(Kernel);
            case "mounts": return Diagnostics.DebugViews.Mounts(container);
            case "tasks": return Diagnostics.DebugViews.Tasks(Kernel);
            case "stats": return Diagnostics.SandboxStats.Json(Kernel);
            case "seccomp-profile": return Diagnostics.SeccompProfile.Json(Kernel);
            case "fds" when int.TryParse(arg, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid):
                return Diagnostics.DebugViews.Fds(Kernel, pid);
            default: return null;
        }
    }

    public void Pause() => Pause(Kernel.RootContainer);

    public void Resume() => Resume(Kernel.RootContainer);

    private static FileSystem? MakeFileSystem(Kernel.Kernel kernel, GoferClient gofer, UserNamespaceMap users, SandboxMount m, string cpuinfo, string meminfo) => m.Type switch
    {
        "proc" => new ProcFileSystem(kernel, cpuinfo, users),
        "sysfs" => SysFileSystem.Create(Environment.ProcessorCount, kernel.Network, users.HostRootUid, users.HostRootGid),
        "bind" => new GoferFileSystem(gofer, m.GoferAttachIndex, m.ReadOnly, users),
        "tmpfs" when NormalizePath(m.Destination) == "/dev" => DevFileSystem.Create(users.HostRootUid, users.HostRootGid).With(TmpfsOptions(m, meminfo)),
        "tmpfs" when NormalizePath(m.Destination) == "/dev/shm" => DevFileSystem.CreateShm().With(TmpfsOptions(m, meminfo)),
        "devpts" => DevFileSystem.CreateDevPts(m.Options),
        "mqueue" => kernel.Ipc.Mqueue,
        "cgroup" or "cgroup2" => SysFileSystem.CreateCgroup(),
        "tmpfs" or "shm" => new TmpfsFileSystem("tmpfs", m.ReadOnly).With(TmpfsOptions(m, meminfo)),
        _ => null,
    };

    /// <summary>A /proc/meminfo field ("MemTotal", "SwapTotal") in bytes; 0 when absent.</summary>
    private static long MemInfoBytes(string meminfo, string field)
    {
        foreach (var line in meminfo.Split('\n'))
        {
            if (!line.StartsWith(field + ":", StringComparison.Ordinal)) continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && long.TryParse(parts[1], out long kb)) return kb * 1024;
        }
        return 0;
    }

    /// <summary>A tmpfs mount's options (throws TmpfsOptionException for one Linux would refuse); size=N% is of MemTotal.</summary>
    private static TmpfsMountOptions TmpfsOptions(SandboxMount m, string meminfo)
    {
        long memTotal = MemInfoBytes(meminfo, "MemTotal");
        try
        {
            return TmpfsMountOptions.Parse(m.Options, memTotal);
        }
        catch (TmpfsOptionException e)
        {
            throw new TmpfsOptionException($"mount tmpfs at {m.Destination}: {e.Message}");
        }
    }

    public static string NormalizePath(string p) => "/" + string.Join('/', p.Split('/', StringSplitOptions.RemoveEmptyEntries));

    private static unsafe int Confine(string dir)
    {
        byte[] d = Libc.CString(dir);
        byte* root = stackalloc byte[] { (byte)'/', 0 };
        fixed (byte* p = d)
        {
            if (Libc.Chroot(p) < 0) return -Libc.LastErrno;
        }
        if (Libc.Chdir(root) < 0) return -Libc.LastErrno;
        Libc.Prctl(Libc.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        return 0;
    }
}
