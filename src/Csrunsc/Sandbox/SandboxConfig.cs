using Csrunsc.Cli;
using Csrunsc.Oci;
using Csrunsc.Sentry.Boot;

namespace Csrunsc.Sandbox;

/// <summary>Turns config.json (and exec's process.json) into what the Sentry runs.</summary>
public static class SandboxConfig
{
    /// <summary>clearOnlcr: the runtime proxies the process's terminal itself (see <see cref="ConsoleProxy"/>).</summary>
    public static ProcessOptions ProcessFrom(OciProcess p, string bundle, Sentry.Kernel.Seccomp.SockFilter[]? seccomp = null, bool clearOnlcr = false, bool seccompLog = false)
    {
        var rlimits = new List<(int, ulong, ulong)>();
        foreach (var r in p.Rlimits ?? [])
        {
            int idx = Array.IndexOf(OciRlimit.Names, r.Type);
            if (idx >= 0) rlimits.Add((idx, r.Soft, r.Hard));
        }
        if (p.Capabilities is { } named)
        {
            var unknown = new[] { named.Bounding, named.Effective, named.Permitted, named.Inheritable, named.Ambient }
                .SelectMany(l => l ?? []).Where(n => Sentry.Kernel.Capabilities.Parse(n) < 0).Distinct().Order(StringComparer.Ordinal).ToList();
            if (unknown.Count > 0) Log.Warning($"ignoring unknown or unavailable capabilities: [{string.Join(' ', unknown)}]");
        }
        return new ProcessOptions
        {
            Args = (p.Args ?? []).ToArray(),
            Env = (p.Env ?? []).ToArray(),
            Cwd = string.IsNullOrEmpty(p.Cwd) ? "/" : p.Cwd,
            Uid = p.User.Uid,
            Gid = p.User.Gid,
            AdditionalGids = (p.User.AdditionalGids ?? []).ToArray(),
            Umask = p.User.Umask ?? 0x12,
            Rlimits = rlimits,
            Seccomp = seccomp,
            SeccompLog = seccompLog,
            Capabilities = p.Capabilities is { } c
                ? new CapabilityMasks(Mask(c.Bounding), Mask(c.Effective), Mask(c.Permitted), Mask(c.Inheritable), Mask(c.Ambient), HostBounding.Value)
                : null,
            NoNewPrivileges = p.NoNewPrivileges,
            OomScoreAdj = p.OomScoreAdj ?? 0,
            ClearOnlcr = clearOnlcr,
            Terminal = p.Terminal,
        };
    }

    /// <summary>
    /// For a masked path in /proc or /sys, whose guest copies are synthetic: what it is on the host
    /// ('d', 'f', '-' missing), which is what runc masks; elsewhere '?' (the guest's view decides).
    /// </summary>
    public static char HostKind(string path)
    {
        string p = Sentry.Boot.Sandbox.NormalizePath(path);
        if (!p.StartsWith("/proc/", StringComparison.Ordinal) && !p.StartsWith("/sys/", StringComparison.Ordinal)) return '?';
        if (Directory.Exists(p)) return 'd';
        return File.Exists(p) || new FileInfo(p).LinkTarget is not null ? 'f' : '-';
    }

    /// <summary>This process's bounding set, read once (before the sandbox drops anything).</summary>
    private static readonly Lazy<ulong> HostBounding = new(() =>
    {
        ulong mask = 0;
        for (int c = 0; c <= Sentry.Kernel.Capabilities.Last; c++)
            if (Native.Libc.Prctl(Native.Libc.PR_CAPBSET_READ, (ulong)c, 0, 0, 0) == 1) mask |= 1UL << c;
        return mask;
    });

    /// <summary>Reads the host bounding set now (call early: exec's later reads reuse it).</summary>
    public static void CaptureHostCapabilities() => _ = HostBounding.Value;

    private static ulong Mask(List<string>? names) => Sentry.Kernel.Capabilities.MaskOf(names);

    /// <summary>
    /// config.json's hostname; else, when the UTS namespace is joined by path (a pod's app
    /// container), that namespace's hostname, as the container would see it under runc.
    /// </summary>
    public static string GuestHostname(OciSpec spec)
    {
        if (!string.IsNullOrEmpty(spec.Hostname)) return spec.Hostname;
        var uts = spec.Linux?.Namespaces?.FirstOrDefault(n => n.Type == "uts");
        if (!string.IsNullOrEmpty(uts?.Path) && NamespacePlan.HostnameOf(uts.Path) is { Length: > 0 } joined) return joined;
        return "csrunsc";
    }

    public static SandboxOptions From(OciSpec spec, string bundle, string sandboxDir, GlobalOptions global, int[] initStdio,
        IReadOnlyDictionary<string, ulong>? namespaces = null, Sentry.Fs.Socket.Host.HostNetwork? network = null, bool clearOnlcr = false)
    {
        var plan = MountPlan.From(spec, bundle);
        OciDevices.TryRead(spec, out var devices, out var deviceRules, out _);
        // The sandbox process is in the container's cgroups by now (boot joined them first thing).
        var cgroupViews = Sentry.Fs.Cgroup.HostCgroupView.OpenOwn(out string procCgroup);
        if (spec.Linux?.Namespaces?.Any(n => n.Type == "cgroup") == true) procCgroup = Sentry.Fs.Cgroup.HostCgroupView.Namespaced(procCgroup);
        return new SandboxOptions
        {
            CgroupViews = cgroupViews,
            ProcCgroup = procCgroup,
            Init = ProcessFrom(spec.Process!, bundle, Seccomp.SeccompProfile.Compile(spec.Linux?.Seccomp, out _), clearOnlcr, Seccomp.SeccompProfile.LogsActions(spec.Linux?.Seccomp)),
            Hostname = GuestHostname(spec),
            RootReadOnly = spec.Root?.Readonly ?? false,
            Mounts = plan.SentryMounts,
            ReadonlyPaths = spec.Linux?.ReadonlyPaths ?? [],
            MaskedPaths = (spec.Linux?.MaskedPaths ?? []).Select(p => new MaskedPath(p, HostKind(p))).ToList(),
            Devices = devices,
            DeviceRules = deviceRules,
            IpcSysctls = IpcSysctlsOf(spec),
            MemoryLimitBytes = MemoryLimitOf(spec),
            SandboxDir = sandboxDir,
            Confine = Environment.GetEnvironmentVariable("CSRUNSC_NO_CONFINE") != "1",
            Strace = global.Strace,
            Platform = PlatformFor(global),
            StraceSyscalls = (global.StraceSyscalls ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            EventSink = EventSinkFor(global),
            ExitSummary = !string.IsNullOrEmpty(global.DebugLog) || !string.IsNullOrEmpty(global.Log),
            InitStdio = initStdio,
            NamespaceIds = namespaces,
            Users = UserNamespaceCheck.MapOf(spec),
            Network = network,
        };
    }

    /// <summary>--platform kvm: the KVM platform over the memory file; null (ptrace) otherwise.</summary>
    private static unsafe Sentry.Platform.PlatformFactory? PlatformFor(GlobalOptions global) =>
        global.Platform != "kvm" ? null
        : (Sentry.Memory.MemoryFile memory, Sentry.Kernel.SyscallEventLog events, out string? error) =>
            Kvm.KvmPlatform.Create(memory.Base, (ulong)memory.Capacity, events.Write, out error);

    /// <summary>The host side of a pod member's create: its request to the pod's sandbox.</summary>
    public static ContainerRequest RequestFor(string id, OciSpec spec, string bundle, IReadOnlyDictionary<string, ulong> namespaces) => new()
    {
        Id = id, Bundle = bundle, Spec = spec, Namespaces = new Dictionary<string, ulong>(namespaces),
        MaskedKinds = new string((spec.Linux?.MaskedPaths ?? []).Select(HostKind).ToArray()),
    };

    /// <summary>linux.resources.memory.limit in bytes; 0 when unset or unlimited (-1).</summary>
    private static ulong MemoryLimitOf(OciSpec spec) =>
        spec.Linux?.Resources is { ValueKind: System.Text.Json.JsonValueKind.Object } r
        && r.TryGetProperty("memory", out var m) && m.ValueKind == System.Text.Json.JsonValueKind.Object
        && m.TryGetProperty("limit", out var l) && l.TryGetInt64(out long limit) && limit > 0
            ? (ulong)limit : 0;

    private static List<KeyValuePair<string, string>> IpcSysctlsOf(OciSpec spec) =>
        (spec.Linux?.Sysctl ?? []).Where(kv => Sentry.Kernel.Ipc.IpcSysctls.IsIpcKey(kv.Key)).ToList();

    /// <summary>In the sandbox: what the Sentry runs for a pod member's create request.</summary>
    public static ContainerOptions ContainerFrom(ContainerRequest r, IReadOnlyList<Sentry.Fs.Cgroup.HostCgroupView> cgroupViews)
    {
        var spec = r.Spec!;
        var plan = MountPlan.From(spec, r.Bundle);
        var masked = spec.Linux?.MaskedPaths ?? [];
        OciDevices.TryRead(spec, out var devices, out var deviceRules, out _);
        return new ContainerOptions
        {
            Id = r.Id,
            Init = ProcessFrom(spec.Process!, r.Bundle, Seccomp.SeccompProfile.Compile(spec.Linux?.Seccomp, out _), r.ClearOnlcr, Seccomp.SeccompProfile.LogsActions(spec.Linux?.Seccomp)),
            RootReadOnly = spec.Root?.Readonly ?? false,
            Mounts = plan.SentryMounts,
            ReadonlyPaths = spec.Linux?.ReadonlyPaths ?? [],
            MaskedPaths = masked.Select((p, i) => new MaskedPath(p, i < r.MaskedKinds.Length ? r.MaskedKinds[i] : '?')).ToList(),
            Devices = devices,
            DeviceRules = deviceRules,
            IpcSysctls = IpcSysctlsOf(spec),
            NamespaceIds = r.Namespaces,
            CgroupViews = cgroupViews,
            ProcCgroup = r.ProcCgroup,
            Users = UserNamespaceCheck.MapOf(spec),
        };
    }

    /// <summary>
    /// Sentry events go to --debug-log (DIR: this sandbox process's ID.sandbox.PID.log, opened by
    /// boot), else to --log (as warnings), else to stderr.
    /// </summary>
    private static Action<string> EventSinkFor(GlobalOptions global)
    {
        if (DebugLog.Current is { } roleFile) return roleFile.Write;
        if (!string.IsNullOrEmpty(global.DebugLog) && !DebugLog.IsDirectory(global.DebugLog))
        {
            int fd = Native.Libc.OpenPath(global.DebugLog, Native.Libc.O_WRONLY | Native.Libc.O_CREAT | Native.Libc.O_APPEND | Native.Libc.O_CLOEXEC, 0x1A4);
            if (fd >= 0) return line => Native.Libc.WriteString(fd, line);
        }
        if (!string.IsNullOrEmpty(global.Log))
        {
            Log.KeepOpen();
            return line => Log.Warning(line.TrimEnd('\n'));
        }
        return line => Native.Libc.WriteString(2, line);
    }
}
