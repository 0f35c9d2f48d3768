namespace Csrunsc.Cli;

/// <summary>
/// `features`: what this runtime supports, in runc's features JSON shape. `features --config-fields`:
/// the table of every config.json field and what csrunsc does with it (Oci/ConfigFields.cs; tests/README.md shows it).
/// </summary>
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
                "seccomp": {
                    "enabled": true,
                    "actions": ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"],
                    "operators": ["SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"],
                    "archs": ["SCMP_ARCH_X86_64"],
                    "knownFlags": ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
                    "supportedFlags": ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]
                },
                "apparmor": { "enabled": false },
                "selinux": { "enabled": false }
            },
            "annotations": {
                "org.opencontainers.runc.version": "1.1.5-compatible",
                "dev.csrunsc.sandbox": "gVisor-style user-space kernel (Sentry) on ptrace PTRACE_SYSEMU or a KVM virtual machine",
                "dev.csrunsc.platforms": "ptrace (default: the faster one on these hosts, measured in bench/kvm.sh), kvm (--platform kvm: needs /dev/kvm)"
            }
        }
        """;

    public static int Run(string[] args)
    {
        if (args.Contains("--config-fields"))
        {
            Native.Libc.WriteString(1, Oci.ConfigFields.Markdown());
            return 0;
        }
        Native.Libc.WriteString(1, Json + "\n");
        return 0;
    }
}
