using System.Text.Json.Nodes;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// The config.json the tests give both runtimes: what `runc spec` writes (see
/// src/Csrunsc/Oci/OciSpec.Default), with terminal=false, a writable rootfs, the test's args,
/// and no network namespace (neither runtime then needs networking set up).
/// </summary>
public static class BundleConfig
{
    public static JsonObject Create(IReadOnlyList<string> args)
    {
        JsonArray Capabilities() => ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
        JsonArray Strings(params string[] values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
        JsonObject Mount(string destination, string type, string source, params string[] options)
        {
            var mount = new JsonObject { ["destination"] = destination, ["type"] = type, ["source"] = source };
            if (options.Length > 0)
            {
                mount["options"] = Strings(options);
            }

            return mount;
        }

        return new JsonObject
        {
            ["ociVersion"] = "1.0.2-dev",
            ["process"] = new JsonObject
            {
                ["terminal"] = false,
                ["user"] = new JsonObject { ["uid"] = 0, ["gid"] = 0 },
                ["args"] = Strings([.. args]),
                ["env"] = Strings("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"),
                ["cwd"] = "/",
                ["capabilities"] = new JsonObject
                {
                    ["bounding"] = Capabilities(),
                    ["effective"] = Capabilities(),
                    ["permitted"] = Capabilities(),
                    ["ambient"] = Capabilities(),
                },
                ["rlimits"] = new JsonArray(new JsonObject { ["type"] = "RLIMIT_NOFILE", ["hard"] = 1024, ["soft"] = 1024 }),
                ["noNewPrivileges"] = true,
            },
            ["root"] = new JsonObject { ["path"] = "rootfs", ["readonly"] = false },
            ["hostname"] = "csrunsc-test",
            ["mounts"] = new JsonArray(
                Mount("/proc", "proc", "proc"),
                Mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
                Mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"),
                Mount("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k"),
                Mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"),
                Mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro"),
                Mount("/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", "ro")),
            ["linux"] = new JsonObject
            {
                ["resources"] = new JsonObject
                {
                    ["devices"] = new JsonArray(new JsonObject { ["allow"] = false, ["access"] = "rwm" }),
                },
                ["namespaces"] = new JsonArray(
                    new JsonObject { ["type"] = "pid" },
                    new JsonObject { ["type"] = "ipc" },
                    new JsonObject { ["type"] = "uts" },
                    new JsonObject { ["type"] = "mount" }),
                ["maskedPaths"] = Strings(
                    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"),
                ["readonlyPaths"] = Strings("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"),
            },
        };
    }

    /// <summary>Gives the container a network namespace of its own (new, loopback up: both runtimes set it up).</summary>
    public static void AddNetworkNamespace(JsonObject config) =>
        ((JsonArray)config["linux"]!["namespaces"]!).Add((JsonNode)new JsonObject { ["type"] = "network" });
}
