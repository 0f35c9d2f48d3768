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

    /// <summary>The sandbox's IPC namespace: SysV shm/sem/msg ids and the POSIX message queues.</summary>
    public global::Csrunsc.Sentry.Kernel.Ipc.IpcNamespace Ipc { get; }

    public IPlatform Platform { get; }
    public MemoryFile MemoryFile { get; }
    public MountTable Mounts { get; }
    public SyscallEventLog Events { get; }

    /// <summary>Per-syscall counters since boot (csrunsc debug --syscall-stats, the exit summary, profile).</summary>
    public SyscallStats Stats { get; } = new();
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

    /// <summary>Cleared while the sandbox is paused: tasks stop before re-entering guest code.</summary>
    public readonly ManualResetEventSlim Thawed = new(true);

    /// <summary>pause: every task stops at its next return to guest code (running ones are interrupted).</summary>
    public void Freeze()
    {
        Thawed.Reset();
        foreach (var g in Pids.Groups())
            foreach (var t in g.TasksSnapshot())
                t.Context?.Interrupt();
    }

    public void Thaw() => Thawed.Set();

    /// <summary>Number of tasks whose OS thread still runs (the sandbox waits for them at shutdown).</summary>
    public int LiveTasks;
}
