using System.Text;
using System.Text.Json;

namespace Csrunsc.Oci;

/// <summary>What csrunsc does with a config.json field.</summary>
public enum FieldStatus
{
    /// <summary>Has its effect, as under runc (the note says where it is applied).</summary>
    Enforced,

    /// <summary>Create fails with a one-line error when it is set (to the values the note names).</summary>
    Refused,

    /// <summary>Checked as runc checks it; in a sandbox it has nothing further to do (the note says why).</summary>
    Validated,

    /// <summary>Not for this platform or informational only; runc ignores it too.</summary>
    NotApplicable,
}

/// <summary>
/// One config.json field: its path ("a.b", "a[].b" for each element of an array), its status, how
/// csrunsc treats it, and for refused fields the check create runs (null: the check lives in the
/// named component) and an example value that must be refused (tests run every example).
/// </summary>
public sealed record ConfigField(string Path, FieldStatus Status, string How, Func<JsonElement, string?>? Refuse = null, string? Example = null);

/// <summary>
/// Every field of the OCI runtime spec (1.2, Linux) with what csrunsc does with it. The refusals
/// marked here are run by <see cref="CheckRefused"/> at create; tests/README.md's field table is
/// generated from this list (a test compares them), so the two cannot drift.
/// </summary>
public static class ConfigFields
{
    private static string? IfSet(JsonElement v, string message) =>
        v.ValueKind switch
        {
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            JsonValueKind.String when v.GetString()!.Length == 0 => null,
            JsonValueKind.Array when v.GetArrayLength() == 0 => null,
            JsonValueKind.Object when !v.EnumerateObject().Any() => null,
            _ => message,
        };

    /// <summary>Whether the host kernel runs AppArmor (then a config's profile is accepted with a warning).</summary>
    public static bool AppArmorEnabled()
    {
        try { return File.ReadAllText("/sys/module/apparmor/parameters/enabled").Trim() == "Y"; }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    private static readonly string[] Propagations = ["shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable"];

    public static readonly ConfigField[] All =
    [
        new("ociVersion", FieldStatus.NotApplicable, "informational; not checked (runc does not check it either)"),
        new("root.path", FieldStatus.Enforced, "served by the gofer; must be a directory, a symlinked rootfs is refused as runc refuses it"),
        new("root.readonly", FieldStatus.Enforced, "the Sentry's root mount is read-only (EROFS)"),
        new("mounts[].destination", FieldStatus.Enforced, "mount point in the Sentry's mount table"),
        new("mounts[].source", FieldStatus.Enforced, "bind mounts go through the gofer; other types are the Sentry's own filesystems"),
        new("mounts[].type", FieldStatus.Enforced, "bind, proc, sysfs, tmpfs, shm, devpts, mqueue, cgroup, cgroup2 (the container's own host cgroups, read-only and read through); any other type is refused (OciMounts)", Example: "\"nfs\""),
        new("mounts[].options", FieldStatus.Enforced, "ro, nodev, noexec, bind/rbind and tmpfs's size/mode/uid/gid/nr_* options; nosuid (execve ignores set-id bits and file capabilities there); propagation flags have no effect (the guest's mounts live in the Sentry and never propagate to or from the host)"),
        new("mounts[].uidMappings", FieldStatus.Refused, "idmapped mounts are not supported",
            v => IfSet(v, "mounts[].uidMappings: idmapped mounts are not supported by csrunsc"), """[{"containerID":0,"hostID":1000,"size":1}]"""),
        new("mounts[].gidMappings", FieldStatus.Refused, "idmapped mounts are not supported",
            v => IfSet(v, "mounts[].gidMappings: idmapped mounts are not supported by csrunsc"), """[{"containerID":0,"hostID":1000,"size":1}]"""),
        new("process.terminal", FieldStatus.Enforced, "a Sentry pty whose host side is the console socket's pty (or run's own)"),
        new("process.consoleSize", FieldStatus.Enforced, "the terminal's initial window size"),
        new("process.user.uid", FieldStatus.Enforced, "the Sentry's credentials for init"),
        new("process.user.gid", FieldStatus.Enforced, "the Sentry's credentials for init"),
        new("process.user.umask", FieldStatus.Enforced, "init's umask"),
        new("process.user.additionalGids", FieldStatus.Enforced, "init's supplementary groups"),
        new("process.user.username", FieldStatus.NotApplicable, "Windows only"),
        new("process.args", FieldStatus.Enforced, "init's argv; must not be empty"),
        new("process.commandLine", FieldStatus.NotApplicable, "Windows only"),
        new("process.env", FieldStatus.Enforced, "init's environment"),
        new("process.cwd", FieldStatus.Enforced, "init's working directory; must be absolute"),
        new("process.capabilities.bounding", FieldStatus.Enforced, "the Sentry's capability model (Kernel/Capabilities.cs); unknown names are ignored with runc's warning"),
        new("process.capabilities.effective", FieldStatus.Enforced, "as bounding"),
        new("process.capabilities.inheritable", FieldStatus.Enforced, "as bounding"),
        new("process.capabilities.permitted", FieldStatus.Enforced, "as bounding"),
        new("process.capabilities.ambient", FieldStatus.Enforced, "as bounding"),
        new("process.rlimits", FieldStatus.Enforced, "the Sentry's rlimits (Kernel/Rlimits.cs); an unknown type is refused as runc refuses it", Example: """[{"type":"RLIMIT_BOGUS","soft":1,"hard":1}]"""),
        new("process.noNewPrivileges", FieldStatus.Enforced, "per-task no_new_privs in the Sentry"),
        new("process.apparmorProfile", FieldStatus.Validated,
            "a host without AppArmor: refused, as runc fails there; with AppArmor (where Docker, podman and containerd's CRI set a profile by default): accepted with a warning, as runsc does — the guest's system calls never reach the host kernel, and the sandbox's host processes are confined by their own seccomp policy, chroot and uid",
            v => AppArmorEnabled() ? null : IfSet(v, "unable to apply apparmor profile: apparmor is not enabled on this host"), "\"docker-default\""),
        new("process.oomScoreAdj", FieldStatus.Enforced, "written for every host process of the sandbox before it starts; shown in /proc/PID/oom_score_adj; outside [-1000, 1000] refused"),
        new("process.selinuxLabel", FieldStatus.Refused, "no SELinux",
            v => IfSet(v, "selinux label is specified in config, but selinux is disabled or not supported"), "\"system_u:system_r:container_t:s0\""),
        new("process.ioPriority", FieldStatus.Refused, "not supported (runc 1.1 ignores it: an unknown field to that version)",
            v => IfSet(v, "process.ioPriority is not supported by csrunsc"), """{"class":"IOPRIO_CLASS_IDLE","priority":0}"""),
        new("process.scheduler", FieldStatus.Refused, "not supported (runc 1.1 ignores it: an unknown field to that version)",
            v => IfSet(v, "process.scheduler is not supported by csrunsc"), """{"policy":"SCHED_BATCH"}"""),
        new("process.execCPUAffinity", FieldStatus.Refused, "not supported",
            v => IfSet(v, "process.execCPUAffinity is not supported by csrunsc"), """{"initial":"0"}"""),
        new("hostname", FieldStatus.Enforced, "the Sentry's UTS name (a joined UTS namespace's hostname when it has none of its own)"),
        new("domainname", FieldStatus.Enforced, "the Sentry's NIS domain name"),
        new("hooks.prestart", FieldStatus.Enforced, "on the host at create, in runc's order; a failure aborts create with the hook's error"),
        new("hooks.createRuntime", FieldStatus.Enforced, "as prestart"),
        new("hooks.createContainer", FieldStatus.Enforced, "as prestart (run on the host: there is no container-side host mount namespace to enter)"),
        new("hooks.startContainer", FieldStatus.Enforced, "at start before the process runs (on the host, as createContainer)"),
        new("hooks.poststart", FieldStatus.Enforced, "after `start` released the process; a failure is a warning and the rest still run, as the OCI spec says (runc 1.1.5 runs them during create and a failure destroys the container)"),
        new("hooks.poststop", FieldStatus.Enforced, "at delete; a failure is a warning and the rest still run (runc 1.1.5 skips the rest)"),
        new("annotations", FieldStatus.Enforced, "passed to the hooks' state; CRI sandbox annotations put a pod's containers into one sandbox"),
        new("linux.namespaces", FieldStatus.Enforced, "new, joined by path (type checked, identity kept; a joined user namespace's maps must be the config's mappings, one with no process in it is refused) or the host's when not listed; the network namespace holds the guest's sockets"),
        new("linux.uidMappings", FieldStatus.Enforced, "with a user namespace: /proc/PID/uid_map and the ids the guest sees and sets on files (translated at the gofer; unmapped host ids show as 65534); a user namespace without mappings is refused and mappings without one are ignored, as runc; the sandbox's host processes are not in a host user namespace"),
        new("linux.gidMappings", FieldStatus.Enforced, "as uidMappings"),
        new("linux.timeOffsets", FieldStatus.Refused, "time namespace offsets are not supported",
            v => IfSet(v, "linux.timeOffsets is not supported by csrunsc"), """{"monotonic":{"secs":10}}"""),
        new("linux.devices", FieldStatus.Enforced, "nodes made in the guest's /dev (type, numbers, mode, owner); only devices the Sentry implements open"),
        new("linux.netDevices", FieldStatus.Refused, "moving host network devices into the container is not supported",
            v => IfSet(v, "linux.netDevices is not supported by csrunsc"), """{"eth1":{}}"""),
        new("linux.cgroupsPath", FieldStatus.Enforced, "the container's cgroup (systemd slice:prefix:name paths mapped under the slice)"),
        new("linux.resources.devices", FieldStatus.Enforced, "checked by the Sentry on every open of a device node (DeviceCgroup); runc's default allow list appended"),
        new("linux.resources.memory.limit", FieldStatus.Enforced, "memory.limit_in_bytes (v2: memory.max)"),
        new("linux.resources.memory.reservation", FieldStatus.Enforced, "memory.soft_limit_in_bytes (v2: memory.low)"),
        new("linux.resources.memory.swap", FieldStatus.Enforced, "memory.memsw.limit_in_bytes in runc's order (v2: memory.swap.max = swap - limit)"),
        new("linux.resources.memory.kernel", FieldStatus.NotApplicable, "ignored with runc's warning: Linux no longer limits kernel memory"),
        new("linux.resources.memory.kernelTCP", FieldStatus.Enforced, "memory.kmem.tcp.limit_in_bytes on v1 (runc 1.1 ignores it); refused on v2"),
        new("linux.resources.memory.swappiness", FieldStatus.Enforced, "memory.swappiness; over 100 refused as runc; refused on v2 (no such file)"),
        new("linux.resources.memory.disableOOMKiller", FieldStatus.Enforced, "memory.oom_control; refused on v2"),
        new("linux.resources.memory.useHierarchy", FieldStatus.Validated, "always hierarchical in the kernel; false refused"),
        new("linux.resources.memory.checkBeforeUpdate", FieldStatus.NotApplicable, "cgroup v2 update check; the kernel refuses a limit below usage itself"),
        new("linux.resources.cpu.shares", FieldStatus.Enforced, "cpu.shares, clamped values refused as runc (v2: cpu.weight)"),
        new("linux.resources.cpu.quota", FieldStatus.Enforced, "cpu.cfs_quota_us (v2: cpu.max)"),
        new("linux.resources.cpu.period", FieldStatus.Enforced, "cpu.cfs_period_us (v2: cpu.max)"),
        new("linux.resources.cpu.burst", FieldStatus.Enforced, "cpu.cfs_burst_us (v2: cpu.max.burst)"),
        new("linux.resources.cpu.realtimeRuntime", FieldStatus.Enforced, "cpu.rt_runtime_us; refused on v2"),
        new("linux.resources.cpu.realtimePeriod", FieldStatus.Enforced, "cpu.rt_period_us; refused on v2"),
        new("linux.resources.cpu.cpus", FieldStatus.Enforced, "cpuset.cpus"),
        new("linux.resources.cpu.mems", FieldStatus.Enforced, "cpuset.mems"),
        new("linux.resources.cpu.idle", FieldStatus.Enforced, "cpu.idle"),
        new("linux.resources.pids.limit", FieldStatus.Enforced, "pids.max; the Sentry's fork answers EAGAIN when the host refuses a stub"),
        new("linux.resources.blockIO.weight", FieldStatus.Enforced, "blkio.weight or blkio.bfq.weight as the kernel has (v2: io.weight/io.bfq.weight)"),
        new("linux.resources.blockIO.leafWeight", FieldStatus.Enforced, "blkio.leaf_weight; refused on v2"),
        new("linux.resources.blockIO.weightDevice", FieldStatus.Enforced, "blkio(.bfq).weight_device"),
        new("linux.resources.blockIO.throttleReadBpsDevice", FieldStatus.Enforced, "blkio.throttle.read_bps_device (v2: io.max rbps)"),
        new("linux.resources.blockIO.throttleWriteBpsDevice", FieldStatus.Enforced, "blkio.throttle.write_bps_device (v2: io.max wbps)"),
        new("linux.resources.blockIO.throttleReadIOPSDevice", FieldStatus.Enforced, "blkio.throttle.read_iops_device (v2: io.max riops)"),
        new("linux.resources.blockIO.throttleWriteIOPSDevice", FieldStatus.Enforced, "blkio.throttle.write_iops_device (v2: io.max wiops)"),
        new("linux.resources.hugepageLimits", FieldStatus.Enforced, "hugetlb.SIZE.limit_in_bytes (v2: hugetlb.SIZE.max); without the controller refused as runc"),
        new("linux.resources.network.classID", FieldStatus.Enforced, "net_cls.classid; without the controller refused as runc; refused on v2"),
        new("linux.resources.network.priorities", FieldStatus.Enforced, "net_prio.ifpriomap; as classID"),
        new("linux.resources.rdma", FieldStatus.Enforced, "rdma.max; without the controller refused as runc"),
        new("linux.resources.unified", FieldStatus.Enforced, "written as given on a cgroup v2 host; refused on v1 as runc refuses it"),
        new("linux.intelRdt", FieldStatus.Refused, "no resctrl here: refused as runc refuses it on a host without Intel RDT",
            v => v.ValueKind != JsonValueKind.Object ? null
                : v.TryGetProperty("l3CacheSchema", out _) ? "intelRdt.l3CacheSchema is specified in config, but Intel RDT/CAT is not enabled"
                : v.TryGetProperty("memBwSchema", out _) ? "intelRdt.memBwSchema is specified in config, but Intel RDT/MBA is not enabled"
                : IfSet(v, "intelRdt is specified in config, but Intel RDT is not supported by csrunsc"), """{"l3CacheSchema":"L3:0=ff"}"""),
        new("linux.sysctl", FieldStatus.Enforced, "net.* in the container's network namespace, IPC namespace keys in the Sentry; any other key refused", Example: """{"fs.file-max":"100000"}"""),
        new("linux.seccomp.defaultAction", FieldStatus.Enforced, "the Sentry evaluates the profile before dispatching every guest syscall"),
        new("linux.seccomp.defaultErrnoRet", FieldStatus.Enforced, "as defaultAction"),
        new("linux.seccomp.architectures", FieldStatus.Enforced, "validated; only x86-64 syscalls exist in the Sentry"),
        new("linux.seccomp.flags", FieldStatus.Enforced, "SECCOMP_FILTER_FLAG_LOG logs every action but ALLOW to the event log; TSYNC always holds (every thread is filtered); SPEC_ALLOW has no effect (it only relaxes host mitigations); other flags refused", Example: """["SECCOMP_FILTER_FLAG_BOGUS"]"""),
        new("linux.seccomp.listenerPath", FieldStatus.Refused, "refused with an SCMP_ACT_NOTIFY action (not implemented; SeccompProfile); without one ignored, as runc ignores it", Example: "\"/run/csrunsc-no-such-listener.sock\""),
        new("linux.seccomp.listenerMetadata", FieldStatus.NotApplicable, "only meaningful with listenerPath and SCMP_ACT_NOTIFY, which are refused"),
        new("linux.seccomp.syscalls", FieldStatus.Enforced, "names, action, errnoRet and argument comparisons (all operators)"),
        new("linux.rootfsPropagation", FieldStatus.Validated, "values checked as runc; the guest's mounts live in the Sentry and never propagate to or from the host",
            v => v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } p && Array.IndexOf(Propagations, p) < 0
                ? $"rootfsPropagation={p} is not supported" : null, "\"bogus\""),
        new("linux.maskedPaths", FieldStatus.Enforced, "the Sentry's view: files read as empty and unwritable, directories as empty read-only"),
        new("linux.readonlyPaths", FieldStatus.Enforced, "read-only in the Sentry's view, whatever filesystem"),
        new("linux.mountLabel", FieldStatus.Refused, "no SELinux (runc fails too on a host without it)",
            v => IfSet(v, "mountLabel is specified in config, but selinux is disabled or not supported"), "\"system_u:object_r:container_file_t:s0\""),
        new("linux.personality", FieldStatus.Refused, "only domain LINUX without flags (the Sentry runs 64-bit x86 processes only); anything else refused",
            v => v.ValueKind != JsonValueKind.Object ? null
                : (v.TryGetProperty("domain", out var d) && d.ValueKind == JsonValueKind.String && d.GetString() != "LINUX")
                  || (v.TryGetProperty("flags", out var f) && f.ValueKind == JsonValueKind.Array && f.GetArrayLength() > 0)
                    ? "linux.personality: only domain LINUX without flags is supported by csrunsc" : null,
            """{"domain":"LINUX32"}"""),
        new("linux.memoryPolicy", FieldStatus.Refused, "not supported",
            v => IfSet(v, "linux.memoryPolicy is not supported by csrunsc"), """{"mode":"MPOL_BIND","nodes":"0"}"""),
        new("solaris", FieldStatus.NotApplicable, "another platform's section"),
        new("windows", FieldStatus.NotApplicable, "another platform's section"),
        new("vm", FieldStatus.NotApplicable, "hypervisor-based runtimes only"),
        new("zos", FieldStatus.NotApplicable, "another platform's section"),
    ];

    /// <summary>The first refusal among the fields config.json sets, or null.</summary>
    public static string? CheckRefused(JsonElement root)
    {
        foreach (var field in All)
        {
            if (field.Refuse is null) continue;
            foreach (var value in Resolve(root, field.Path))
                if (field.Refuse(value) is { } error) return error;
        }
        return null;
    }

    /// <summary>The values at a path ("a.b", "a[].b": each element of a).</summary>
    public static IEnumerable<JsonElement> Resolve(JsonElement root, string path)
    {
        IEnumerable<JsonElement> current = [root];
        foreach (var part in path.Split('.'))
        {
            bool each = part.EndsWith("[]", StringComparison.Ordinal);
            string name = each ? part[..^2] : part;
            var next = new List<JsonElement>();
            foreach (var e in current)
            {
                if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out var v)) continue;
                if (!each) next.Add(v);
                else if (v.ValueKind == JsonValueKind.Array) next.AddRange(v.EnumerateArray());
            }
            current = next;
        }
        return current;
    }

    /// <summary>The Markdown table tests/README.md carries (between its config-fields markers).</summary>
    public static string Markdown()
    {
        var sb = new StringBuilder("| config.json field | status | how |\n|---|---|---|\n");
        foreach (var f in All)
        {
            string status = f.Status switch
            {
                FieldStatus.Enforced => "enforced",
                FieldStatus.Refused => "refused",
                FieldStatus.Validated => "validated",
                _ => "not applicable",
            };
            sb.Append("| `").Append(f.Path).Append("` | ").Append(status).Append(" | ").Append(f.How.Replace("|", "\\|")).Append(" |\n");
        }
        return sb.ToString();
    }
}
