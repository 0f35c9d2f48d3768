namespace Csrunsc.Cli;

/// <summary>runc's global flags (they come before the command), plus csrunsc's own.</summary>
public sealed class GlobalOptions
{
    public string Root { get; set; } = "/run/csrunsc";
    public string? Log { get; set; }
    public string LogFormat { get; set; } = "text";
    public bool Debug { get; set; }
    public bool SystemdCgroup { get; set; }
    public string Platform { get; set; } = "ptrace";
    public bool Strace { get; set; }
    public string? DebugLog { get; set; }

    /// <summary>`run --profile-seccomp FILE`: where the sandbox writes the seccomp profile of what the workload used, at exit.</summary>
    public string? ProfileSeccomp { get; set; }

    /// <summary>--strace-syscalls LIST: comma-separated syscall names to trace (implies --strace).</summary>
    public string? StraceSyscalls { get; set; }

    /// <summary>Parses leading global flags; returns the index of the command word.</summary>
    public static int Parse(string[] args, GlobalOptions o, out string? error)
    {
        error = null;
        int i = 0;
        for (; i < args.Length; i++)
        {
            string a = args[i];
            if (!a.StartsWith('-')) break;
            string name = a.TrimStart('-');
            string? value = null;
            int eq = name.IndexOf('=');
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            string Next(ref int idx) => value ?? (idx + 1 < args.Length ? args[++idx] : "");
            switch (name)
            {
                case "root": o.Root = Next(ref i); break;
                case "log": o.Log = Next(ref i); break;
                case "log-format": o.LogFormat = Next(ref i); break;
                case "debug": o.Debug = true; break;
                case "systemd-cgroup": o.SystemdCgroup = true; break;
                case "platform": o.Platform = Next(ref i); break;
                case "strace": o.Strace = true; break;
                case "strace-syscalls": o.StraceSyscalls = Next(ref i); o.Strace = true; break;
                case "debug-log": o.DebugLog = Next(ref i); break;
                case "network": Next(ref i); break;
                case "criu": case "rootless": Next(ref i); break;
                case "h": case "help": return -1;
                case "v": case "version": return -2;
                default:
                    error = $"flag provided but not defined: -{name}";
                    return i;
            }
        }
        return i;
    }
}
