namespace Csrunsc.Sentry.Boot;

/// <summary>
/// A mount the Sentry serves: its own filesystem (proc, tmpfs, ...) or a gofer attach point.
/// FsRoot: for a bind mount, the source's path inside its host filesystem (mountinfo's root field).
/// </summary>
public sealed record SandboxMount(string Destination, string Type, string Source, bool ReadOnly, int GoferAttachIndex, string Options, string FsRoot = "/");

/// <summary>
/// A node of config.json's linux.devices, made in the container's /dev (the Sentry's tmpfs):
/// Type 'c' (or 'u'), 'b' or 'p'; Mode the permission bits.
/// </summary>
public sealed record DeviceNode(string Path, char Type, uint Major, uint Minor, uint Mode, uint Uid, uint Gid);

/// <summary>A process to start in the sandbox: the container's init, or one from `exec`.</summary>
public sealed class ProcessOptions
{
    public required string[] Args { get; init; }
    public required string[] Env { get; init; }
    public string Cwd { get; init; } = "/";
    public uint Uid { get; init; }
    public uint Gid { get; init; }
    public uint[] AdditionalGids { get; init; } = [];
    public uint Umask { get; init; } = 0x12; // 022
    public IReadOnlyList<(int Resource, ulong Soft, ulong Hard)> Rlimits { get; init; } = [];
    /// <summary>config.json's linux.seccomp compiled to classic BPF, installed before the program runs (null: none).</summary>
    public Kernel.Seccomp.SockFilter[]? Seccomp { get; init; }

    /// <summary>linux.seccomp.flags has SECCOMP_FILTER_FLAG_LOG: every action but ALLOW is logged (as the guest's own flag).</summary>
    public bool SeccompLog { get; init; }

    /// <summary>process.capabilities as masks; null: the key was absent (runc then drops every capability).</summary>
    public CapabilityMasks? Capabilities { get; init; }

    /// <summary>process.noNewPrivileges (what lets an unprivileged process install its own seccomp filters).</summary>
    public bool NoNewPrivileges { get; init; }

    /// <summary>process.oomScoreAdj: the guest's /proc/PID/oom_score_adj (the sandbox's host processes get it too, at boot).</summary>
    public int OomScoreAdj { get; init; }

    /// <summary>
    /// The runtime proxies this process's terminal itself (run/exec with process.terminal and no
    /// console socket): as runc's console.ClearONLCR, the container's pty starts without ONLCR.
    /// </summary>
    public bool ClearOnlcr { get; init; }

    /// <summary>
    /// process.terminal (exec --tty): a host pty slave among the stdio fds becomes the process's
    /// controlling terminal through a Sentry pty. Without it a host terminal stays the host file
    /// (isatty, termios and window size pass through; no job control), as runc leaves it.
    /// </summary>
    public bool Terminal { get; init; }
}

/// <summary>
/// process.capabilities: the five lists as masks (see Kernel.Capabilities), and the bounding set
/// of the runtime itself, which (as for runc) caps what a container can be given.
/// </summary>
public sealed record CapabilityMasks(ulong Bounding, ulong Effective, ulong Permitted, ulong Inheritable, ulong Ambient, ulong Host);

/// <summary>What the sandbox runs: the container's init process and mounts, from config.json.</summary>
public sealed class SandboxOptions
{
    public required ProcessOptions Init { get; init; }
    public string Hostname { get; init; } = "csrunsc";
    public bool RootReadOnly { get; init; }
    public IReadOnlyList<SandboxMount> Mounts { get; init; } = [];

    /// <summary>linux.readonlyPaths and linux.maskedPaths (see <see cref="PathMasks"/>).</summary>
    public IReadOnlyList<string> ReadonlyPaths { get; init; } = [];
    public IReadOnlyList<MaskedPath> MaskedPaths { get; init; } = [];

    /// <summary>linux.devices, made in /dev; linux.resources.devices, enforced on open and mknod.</summary>
    public IReadOnlyList<DeviceNode> Devices { get; init; } = [];
    public IReadOnlyList<Kernel.DeviceRule> DeviceRules { get; init; } = [];
    /// <summary>config.json's IPC namespace sysctls (kernel.shm*/sem/msg*, fs.mqueue.*), checked at create, applied at boot.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> IpcSysctls { get; init; } = [];
    /// <summary>linux.resources.memory.limit (0: none): the guest's MemTotal is capped by it.</summary>
    public ulong MemoryLimitBytes { get; init; }

    /// <summary>The network namespace for the guest's sockets (null: AF_UNIX only).</summary>
    public Fs.Socket.Host.HostNetwork? Network { get; init; }

    /// <summary>The container's user namespace id maps (config.json's uid/gidMappings), or the identity without one.</summary>
    public Kernel.UserNamespaceMap Users { get; init; } = Kernel.UserNamespaceMap.Initial;

    /// <summary>Namespace identities for /proc/PID/ns (type → inode number); missing types get fresh ones.</summary>
    public IReadOnlyDictionary<string, ulong>? NamespaceIds { get; init; }

    /// <summary>Directory the Sentry may write its stub into and chroot to (empty but for the stub).</summary>
    public required string SandboxDir { get; init; }

    /// <summary>Confine the Sentry (chroot into SandboxDir); off only for debugging.</summary>
    public bool Confine { get; init; } = true;

    /// <summary>Log every guest syscall to the event log.</summary>
    public bool Strace { get; init; }

    /// <summary>The platform guest code runs on when not ptrace (--platform kvm); null: ptrace.</summary>
    public Platform.PlatformFactory? Platform { get; init; }

    /// <summary>Write the syscall summary to the event log at exit (only when it is a log, not the container's stderr).</summary>
    public bool ExitSummary { get; init; }

    /// <summary>`run --profile-seccomp`: the fd the seccomp profile of what the workload used is written to at exit (-1: none).</summary>
    public int ProfileFd { get; set; } = -1;

    /// <summary>With <see cref="Strace"/>: only these syscall names (empty: all).</summary>
    public IReadOnlyList<string> StraceSyscalls { get; init; } = [];

    /// <summary>Where Sentry events go (unimplemented syscalls, strace, boot errors).</summary>
    public Action<string> EventSink { get; init; } = line => Native.Libc.WriteString(2, line);

    /// <summary>The container's host cgroup directories, read-through at a config.json cgroup mount (none: an empty read-only cgroup2).</summary>
    public IReadOnlyList<Fs.Cgroup.HostCgroupView> CgroupViews { get; init; } = [];

    /// <summary>What /proc/PID/cgroup shows (the sandbox's own /proc/self/cgroup; relative paths under a cgroup namespace).</summary>
    public string ProcCgroup { get; init; } = "0::/\n";

    /// <summary>Host fds for the init's stdin, stdout, stderr (the sandbox's own 0-2 by default; a pty slave with a terminal).</summary>
    public int[] InitStdio { get; init; } = [0, 1, 2];
}

/// <summary>
/// A pod's later container, created inside a running sandbox (see <see cref="Kernel.Container"/>):
/// its init and its own root and mounts, served by its own gofer; the kernel's other state is the pod's.
/// </summary>
public sealed class ContainerOptions
{
    public required string Id { get; init; }
    public required ProcessOptions Init { get; init; }
    public bool RootReadOnly { get; init; }
    public IReadOnlyList<Fs.Cgroup.HostCgroupView> CgroupViews { get; init; } = [];
    public string ProcCgroup { get; init; } = "0::/\n";
    public IReadOnlyList<SandboxMount> Mounts { get; init; } = [];
    public IReadOnlyList<string> ReadonlyPaths { get; init; } = [];
    public IReadOnlyList<MaskedPath> MaskedPaths { get; init; } = [];

    /// <summary>linux.devices, made in /dev; linux.resources.devices, enforced on open and mknod.</summary>
    public IReadOnlyList<DeviceNode> Devices { get; init; } = [];
    public IReadOnlyList<Kernel.DeviceRule> DeviceRules { get; init; } = [];
    /// <summary>config.json's IPC namespace sysctls (kernel.shm*/sem/msg*, fs.mqueue.*), checked at create, applied at boot.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> IpcSysctls { get; init; } = [];

    /// <summary>The container's user namespace id maps (config.json's uid/gidMappings), or the identity without one.</summary>
    public Kernel.UserNamespaceMap Users { get; init; } = Kernel.UserNamespaceMap.Initial;

    /// <summary>Namespace identities for its processes' /proc/PID/ns (its own mnt; the pod's others).</summary>
    public IReadOnlyDictionary<string, ulong>? NamespaceIds { get; init; }
}
