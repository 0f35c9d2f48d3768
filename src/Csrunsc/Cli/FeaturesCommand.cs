namespace Csrunsc.Cli;

/// <summary>`features`: what this runtime supports, in runc's features JSON shape.</summary>
public static class FeaturesCommand
{
    private const string Json = """
        {
            "ociVersionMin": "1.0.0",
            "ociVersionMax": "1.0.2-dev",
            "hooks": ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"],
            "mountOptions": ["bind", "rbind", "ro", "rw", "nosuid", "nodev", "noexec", "relatime", "strictatime", "mode", "size"],
            "linux": {
                "namespaces": ["cgroup", "ipc", "mount", "network", "pid", "user", "uts"],
                "capabilities": [],
                "cgroup": { "v1": true, "v2": false, "systemd": false, "systemdUser": false },
                "seccomp": { "enabled": false },
                "apparmor": { "enabled": false },
                "selinux": { "enabled": false }
            },
            "annotations": {
                "org.opencontainers.runc.version": "1.1.5-compatible",
                "dev.csrunsc.sandbox": "gVisor-style user-space kernel (Sentry) on ptrace PTRACE_SYSEMU",
                "dev.csrunsc.platforms": "ptrace"
            }
        }
        """;

    public static int Run(string[] args)
    {
        Native.Libc.WriteString(1, Json + "\n");
        return 0;
    }
}
