using Csrunsc.Gofer;
using Csrunsc.Sentry.Memory;
using Csrunsc.Sentry.Platform;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Kernel;

/// <summary>The sandbox's kernel: everything shared by all guest tasks.</summary>
public sealed partial class Kernel
{
    /// <summary>The kernel version the guest sees (uname -r); deliberately not the host's.</summary>
    public const string Release = "5.15.0-csrunsc";
    public const string Version = "#1 SMP csrunsc user-space kernel";

    public Kernel(IPlatform platform, MemoryFile memoryFile, MountTable mounts, SyscallEventLog events)
    {
        Platform = platform;
        MemoryFile = memoryFile;
        Mounts = mounts;
        Events = events;
        BootTimeNs = MonotonicClock.NowNs();
        BootRealtimeNs = MonotonicClock.RealtimeNs();
        Sockets.Register(Fs.Socket.SocketFamilies.AF_UNIX, new Fs.Socket.Unix.UnixSocketFamily());
        Ipc = new global::Csrunsc.Sentry.Kernel.Ipc.IpcNamespace(memoryFile);
        MemoryAccounting = new MemoryAccounting(this);
        if (platform is not null) platform.AddressSpaceLost = OnAddressSpaceLost; // unit-test kernels have none
    }

    /// <summary>
    /// The host process under some guest processes was killed from outside the sandbox: they die of
    /// SIGKILL as a process killed by the host would, and the event log says why. (Their tasks may be
    /// blocked in the Sentry, never switching to the guest to find out themselves.)
    /// </summary>
    private void OnAddressSpaceLost(int hostPid)
    {
        foreach (var g in Pids.Groups())
        {
            if (g.Zombie) continue;
            foreach (var t in g.TasksSnapshot())
            {
                if (t.Context?.HostPid != hostPid) continue;
                Events.Write($"csrunsc: error: the host process {hostPid} of pid {g.Tgid} ({g.Comm}) was killed outside the sandbox; pid {g.Tgid} is killed\n");
                SendGroupSignal(g, new Csrunsc.Native.SigInfo { Signo = Csrunsc.Native.Libc.SIGKILL }, fromHost: true);
                break;
            }
        }
    }

    private Container? _rootContainer;
    private readonly Dictionary<string, Container> _containers = new(StringComparer.Ordinal);

    /// <summary>The sandbox's own container (its config.json); processes not placed elsewhere belong to it.</summary>
    public Container RootContainer => _rootContainer ??= new Container("", Mounts, Namespaces, Gofer);

    /// <summary>The pod's other containers, by id (<see cref="Container"/>).</summary>
    public Container? ContainerById(string id)
    {
        if (id.Length == 0) return RootContainer;
        lock (_containers) return _containers.GetValueOrDefault(id);
    }

    public bool AddContainer(Container c)
    {
        lock (_containers) return _containers.TryAdd(c.Id, c);
    }

    public void RemoveContainer(Container c)
    {
        lock (_containers)
        {
            if (_containers.TryGetValue(c.Id, out var x) && x == c) _containers.Remove(c.Id);
        }
    }

    /// <summary>The processes of one container.</summary>
    public ThreadGroup[] GroupsOf(Container c) => Pids.Groups().Where(g => g.Container == c).ToArray();

    /// <summary>The sandbox's IPC namespace: SysV shm/sem/msg ids and the POSIX message queues.</summary>
    public global::Csrunsc.Sentry.Kernel.Ipc.IpcNamespace Ipc { get; }

    /// <summary>Memory as the guest sees it (/proc/meminfo, sysinfo).</summary>
    public MemoryAccounting MemoryAccounting { get; }

    public IPlatform Platform { get; }
    public MemoryFile MemoryFile { get; }
    public MountTable Mounts { get; }
    public SyscallEventLog Events { get; }

    /// <summary>Per-syscall counters since boot (csrunsc debug --syscall-stats, the exit summary, profile).</summary>
    public SyscallStats Stats { get; } = new();

    /// <summary>Argument values a generated seccomp profile filters on (socket families, clone flags, personas).</summary>
    public SyscallArgumentUse ArgumentUse { get; } = new();
    public PidNamespace Pids { get; } = new();
    public FutexTable Futexes { get; } = new();

    /// <summary>The one thread that fires every guest timer.</summary>
    public Time.TimerService Timers { get; } = new();
    public NamespaceIds Namespaces { get; set; } = new();
    public string Hostname { get; set; } = "csrunsc";
    public string Domainname { get; set; } = "(none)";
    public long BootTimeNs { get; }
    public long BootRealtimeNs { get; }


    /// <summary>The socket families guests can create (socket(2) of any other: EAFNOSUPPORT).</summary>
    public Fs.Socket.SocketFamilies Sockets { get; } = new();

    /// <summary>The network namespace the guest's sockets live in (null: no network families but AF_UNIX).</summary>
    public Fs.Socket.Host.HostNetwork? Network { get; set; }

    /// <summary>The gofer connection serving the rootfs and bind mounts (null in unit tests).</summary>
    public GoferClient? Gofer { get; set; }

    /// <summary>Guest init (pid 1); its exit ends the sandbox.</summary>
    public ThreadGroup? Init { get; set; }

    /// <summary>Set when init has exited; <see cref="InitExitStatus"/> holds its wait status.</summary>
    public readonly ManualResetEventSlim InitExited = new(false);
    public int InitExitStatus;

    /// <summary>pause of one container: its tasks stop at their next return to guest code (running ones are interrupted).</summary>
    public void Freeze(Container c)
    {
        c.Thawed.Reset();
        foreach (var g in GroupsOf(c))
            foreach (var t in g.TasksSnapshot())
                t.Context?.Interrupt();
    }

    public void Thaw(Container c) => c.Thawed.Set();

    /// <summary>Number of tasks whose OS thread still runs (the sandbox waits for them at shutdown).</summary>
    public int LiveTasks;

    /// <summary>Host terminal bridges still copying (Fs/Pty/HostTerminalBridge): the sandbox lets them drain before it exits.</summary>
    public int LiveTerminalBridges;

    /// <summary>Guest faults handled since boot, all tasks (the Sentry's faults counter).</summary>
    public long Faults;
}
