using Csrunsc.Cli;
using Csrunsc.Oci;
using Csrunsc.Sentry.Boot;

namespace Csrunsc.Sandbox;

/// <summary>Turns config.json (and exec's process.json) into what the Sentry runs.</summary>
public static class SandboxConfig
{
    private static readonly string[] RlimitNames =
    [
        "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS", "RLIMIT_NPROC",
        "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS", "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE",
        "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
    ];

    public static ProcessOptions ProcessFrom(OciProcess p, string bundle, Sentry.Kernel.Seccomp.SockFilter[]? seccomp = null)
    {
        var rlimits = new List<(int, ulong, ulong)>();
        foreach (var r in p.Rlimits ?? [])
        {
            int idx = Array.IndexOf(RlimitNames, r.Type);
            if (idx >= 0) rlimits.Add((idx, r.Soft, r.Hard));
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
            NoNewPrivileges = p.NoNewPrivileges,
        };
    }

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
        IReadOnlyDictionary<string, ulong>? namespaces = null, Sentry.Fs.Socket.Host.HostNetwork? network = null)
    {
        var plan = MountPlan.From(spec, bundle);
        return new SandboxOptions
        {
            Init = ProcessFrom(spec.Process!, bundle, Seccomp.SeccompProfile.Compile(spec.Linux?.Seccomp, out _)),
            Hostname = GuestHostname(spec),
            RootReadOnly = spec.Root?.Readonly ?? false,
            Mounts = plan.SentryMounts,
            SandboxDir = sandboxDir,
            Confine = Environment.GetEnvironmentVariable("CSRUNSC_NO_CONFINE") != "1",
            Strace = global.Strace,
            StraceSyscalls = (global.StraceSyscalls ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            EventSink = EventSinkFor(global),
            ExitSummary = !string.IsNullOrEmpty(global.DebugLog) || !string.IsNullOrEmpty(global.Log),
            InitStdio = initStdio,
            NamespaceIds = namespaces,
            Network = network,
            // No process.capabilities: runc leaves the process's capabilities alone (root keeps all).
            Capabilities = spec.Process?.Capabilities is { } caps ? Sentry.Kernel.Capabilities.MaskOf(caps.Effective) : ulong.MaxValue,
        };
    }

    /// <summary>Sentry events go to --debug-log, else to --log (as warnings), else to stderr.</summary>
    private static Action<string> EventSinkFor(GlobalOptions global)
    {
        if (!string.IsNullOrEmpty(global.DebugLog))
        {
            int fd = Native.Libc.OpenPath(global.DebugLog, Native.Libc.O_WRONLY | Native.Libc.O_CREAT | Native.Libc.O_APPEND | Native.Libc.O_CLOEXEC, 0x1A4);
            if (fd >= 0) return line => Native.Libc.WriteString(fd, line);
        }
        if (!string.IsNullOrEmpty(global.Log)) return line => Log.Warning(line.TrimEnd('\n'));
        return line => Native.Libc.WriteString(2, line);
    }
}
