using Csrunsc.Oci;
using Csrunsc.Sandbox;
using Csrunsc.Sentry.Boot;

namespace Csrunsc.Cli;

/// <summary>`csrunsc boot --bundle B --fd N --sandbox-dir D`: the sandbox process running the Sentry (internal).</summary>
public static class BootCommand
{
    private static readonly string[] RlimitNames =
    [
        "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS", "RLIMIT_NPROC",
        "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS", "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE",
        "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
    ];

    public static int Run(string[] args, GlobalOptions global)
    {
        string bundle = ".", sandboxDir = "";
        int fd = 3;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--bundle": bundle = args[++i]; break;
                case "--fd": fd = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--sandbox-dir": sandboxDir = args[++i]; break;
            }
        }
        if (BundleLoader.Load(bundle, out OciSpec? spec, out _, out string error) != 0)
        {
            Log.Error(error);
            return BundleLoader.ExitFailure;
        }
        var options = OptionsFrom(spec!, Path.GetFullPath(bundle), sandboxDir, global);
        return SandboxRunner.Run(options, fd);
    }

    public static SandboxOptions OptionsFrom(OciSpec spec, string bundle, string sandboxDir, GlobalOptions global)
    {
        var p = spec.Process!;
        var plan = MountPlan.From(spec, bundle);
        var rlimits = new List<(int, ulong, ulong)>();
        foreach (var r in p.Rlimits ?? [])
        {
            int idx = Array.IndexOf(RlimitNames, r.Type);
            if (idx >= 0) rlimits.Add((idx, r.Soft, r.Hard));
        }
        return new SandboxOptions
        {
            Args = p.Args!.ToArray(),
            Env = (p.Env ?? []).ToArray(),
            Cwd = string.IsNullOrEmpty(p.Cwd) ? "/" : p.Cwd,
            Uid = p.User.Uid,
            Gid = p.User.Gid,
            AdditionalGids = (p.User.AdditionalGids ?? []).ToArray(),
            Umask = p.User.Umask ?? 0x12,
            Hostname = string.IsNullOrEmpty(spec.Hostname) ? "csrunsc" : spec.Hostname,
            RootReadOnly = spec.Root?.Readonly ?? false,
            Mounts = plan.SentryMounts,
            Rlimits = rlimits,
            SandboxDir = sandboxDir,
            Confine = Environment.GetEnvironmentVariable("CSRUNSC_NO_CONFINE") != "1",
            Strace = global.Strace,
            EventFd = OpenEventLog(global),
        };
    }

    private static int OpenEventLog(GlobalOptions global)
    {
        if (string.IsNullOrEmpty(global.DebugLog)) return 2;
        int fd = Native.Libc.OpenPath(global.DebugLog, Native.Libc.O_WRONLY | Native.Libc.O_CREAT | Native.Libc.O_APPEND | Native.Libc.O_CLOEXEC, 0x1A4);
        return fd >= 0 ? fd : 2;
    }
}
