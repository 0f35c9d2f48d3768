using System.Text.Json;
using System.Text.Json.Serialization;

namespace Csrunsc.Oci;

/// <summary>
/// The OCI runtime-spec config.json (runtime-spec 1.0.2, the version runc 1.1.5 speaks).
/// Property order follows the Go structs of opencontainers/runtime-spec so that serialising
/// <see cref="Default"/> reproduces <c>runc spec</c> byte for byte. Fields this model does not
/// name are kept in <see cref="Unknown"/> and written back unchanged.
/// </summary>
public sealed class OciSpec
{
    public string? OciVersion { get; set; }
    public OciProcess? Process { get; set; }
    public OciRoot? Root { get; set; }
    public string? Hostname { get; set; }
    public string? Domainname { get; set; }
    public List<OciMount>? Mounts { get; set; }
    public OciHooks? Hooks { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
    public OciLinux? Linux { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }

    /// <summary>The OCI version <c>runc spec</c> (1.1.5) writes.</summary>
    public const string RuncSpecVersion = "1.0.2-dev";

    /// <summary>Exactly what <c>runc spec</c> (runc 1.1.5) writes into a new config.json.</summary>
    public static OciSpec Default()
    {
        static List<string> DefaultCapabilities() => ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];

        return new OciSpec
        {
            OciVersion = RuncSpecVersion,
            Process = new OciProcess
            {
                Terminal = true,
                User = new OciUser { Uid = 0, Gid = 0 },
                Args = ["sh"],
                Env =
                [
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "TERM=xterm",
                ],
                Cwd = "/",
                Capabilities = new OciCapabilities
                {
                    Bounding = DefaultCapabilities(),
                    Effective = DefaultCapabilities(),
                    Permitted = DefaultCapabilities(),
                    Ambient = DefaultCapabilities(),
                },
                Rlimits = [new OciRlimit { Type = "RLIMIT_NOFILE", Hard = 1024, Soft = 1024 }],
                NoNewPrivileges = true,
            },
            Root = new OciRoot { Path = "rootfs", Readonly = true },
            Hostname = "runc",
            Mounts =
            [
                new OciMount { Destination = "/proc", Type = "proc", Source = "proc" },
                new OciMount
                {
                    Destination = "/dev", Type = "tmpfs", Source = "tmpfs",
                    Options = ["nosuid", "strictatime", "mode=755", "size=65536k"],
                },
                new OciMount
                {
                    Destination = "/dev/pts", Type = "devpts", Source = "devpts",
                    Options = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
                },
                new OciMount
                {
                    Destination = "/dev/shm", Type = "tmpfs", Source = "shm",
                    Options = ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
                },
                new OciMount
                {
                    Destination = "/dev/mqueue", Type = "mqueue", Source = "mqueue",
                    Options = ["nosuid", "noexec", "nodev"],
                },
                new OciMount
                {
                    Destination = "/sys", Type = "sysfs", Source = "sysfs",
                    Options = ["nosuid", "noexec", "nodev", "ro"],
                },
                new OciMount
                {
                    Destination = "/sys/fs/cgroup", Type = "cgroup", Source = "cgroup",
                    Options = ["nosuid", "noexec", "nodev", "relatime", "ro"],
                },
            ],
            Linux = new OciLinux
            {
                Resources = ParseRaw("""{"devices":[{"allow":false,"access":"rwm"}]}"""),
                Namespaces =
                [
                    new OciNamespace { Type = "pid" },
                    new OciNamespace { Type = "network" },
                    new OciNamespace { Type = "ipc" },
                    new OciNamespace { Type = "uts" },
                    new OciNamespace { Type = "mount" },
                ],
                MaskedPaths =
                [
                    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
                ],
                ReadonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
            },
        };
    }

    /// <summary>config.json text as runc writes it: tab-indented, no trailing newline.</summary>
    public string ToRuncJson() => JsonSerializer.Serialize(this, OciSpecJsonContext.RuncStyle.OciSpec);

    /// <summary>Parses config.json text; throws <see cref="JsonException"/> on malformed input.</summary>
    public static OciSpec? Parse(string json) => JsonSerializer.Deserialize(json, OciSpecJsonContext.Default.OciSpec);

    private static JsonElement ParseRaw(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
