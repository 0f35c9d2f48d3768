using Csrunsc.Sentry.Kernel;

namespace Csrunsc.Oci;

/// <summary>
/// config.json's user namespace: {"type":"user"} in linux.namespaces with linux.uidMappings and
/// linux.gidMappings, checked and turned into the Sentry's <see cref="UserNamespaceMap"/> as runc
/// 1.1.5 applies them (observed):
/// <code>
/// | config                                         | runc                                                                                          |
/// |------------------------------------------------|-----------------------------------------------------------------------------------------------|
/// | user namespace, no uidMappings                 | exit 1: User namespaces enabled, but no uid mappings found.                                   |
/// | user namespace, uidMappings but no gidMappings | exit 1: User namespaces enabled, but no gid mappings found.                                   |
/// | mappings without a user namespace              | accepted, mappings ignored (uid_map stays `0 0 4294967295`)                                   |
/// | sysfs / mqueue / proc mount without a new network / IPC / pid namespace | exit 1: unable to start container process: error during container init: error mounting "sysfs" to rootfs at "/sys": mount sysfs:/sys (via /proc/self/fd/6), flags: 0xf: operation not permitted |
/// | process.user.uid / gid without a mapping       | exit 1: unable to start container process: unable to setup user: cannot set uid (gid) to unmapped user in user namespace |
/// </code>
/// Mappings the kernel would refuse in uid_map (overlaps, size 0, more than 340) fail create too
/// (runc fails writing the map; the wording here is ours).
/// </summary>
public static class UserNamespaceCheck
{
    private const string SetupUser = "unable to start container process: unable to setup user: ";

    /// <summary>True when linux.namespaces lists a user namespace.</summary>
    public static bool HasUserNamespace(OciSpec spec) => spec.Linux?.Namespaces?.Any(n => n.Type == "user") ?? false;

    /// <summary>null when the config's user namespace is acceptable, else runc's one-line error.</summary>
    public static string? Check(OciSpec spec)
    {
        if (!HasUserNamespace(spec)) return null;
        var linux = spec.Linux!;
        if (linux.UidMappings is not { Count: > 0 }) return "User namespaces enabled, but no uid mappings found.";
        if (linux.GidMappings is not { Count: > 0 }) return "User namespaces enabled, but no gid mappings found.";
        if (IdMap.Validate(Extents(linux.UidMappings)) is { } badUid) return $"failed to write uid_map: invalid argument ({badUid})";
        if (IdMap.Validate(Extents(linux.GidMappings)) is { } badGid) return $"failed to write gid_map: invalid argument ({badGid})";
        return MountRefused(spec) ?? CheckUser(MapOf(spec), spec.Process?.User);
    }

    /// <summary>
    /// The kernel lets a user namespace's root mount sysfs, mqueue and proc only over the network,
    /// IPC and pid namespace its own namespace owns: new ones listed in linux.namespaces (one
    /// joined by path belongs to another). runc's init fails the first such mount with EPERM:
    /// `error mounting "sysfs" to rootfs at "/sys": mount sysfs:/sys (via /proc/self/fd/6), flags: 0xf: operation not permitted`.
    /// </summary>
    private static string? MountRefused(OciSpec spec)
    {
        var namespaces = spec.Linux?.Namespaces ?? [];
        bool Owned(string type) => namespaces.Any(n => n.Type == type && string.IsNullOrEmpty(n.Path));
        foreach (var m in spec.Mounts ?? [])
        {
            string? needs = m.Type switch { "sysfs" => "network", "mqueue" => "ipc", "proc" => "pid", _ => null };
            if (needs is null || Owned(needs)) continue;
            int flags = 0;
            foreach (var o in m.Options ?? [])
                flags |= o switch { "ro" => 0x1, "nosuid" => 0x2, "nodev" => 0x4, "noexec" => 0x8, _ => 0 };
            string shown = flags != 0 ? $", flags: 0x{flags:x}" : "";
            return $"unable to start container process: error during container init: error mounting \"{m.Type}\" to rootfs at \"{m.Destination}\": " +
                $"mount {m.Source}:{m.Destination} (via /proc/self/fd/6){shown}: operation not permitted";
        }
        return null;
    }

    /// <summary>null when the process's ids all have a mapping (always without a user namespace), else runc's error (create and exec).</summary>
    public static string? CheckUser(UserNamespaceMap map, OciUser? user)
    {
        if (user is null || !map.IsNew) return null;
        if (!map.Uids.IsMapped(user.Uid)) return SetupUser + "cannot set uid to unmapped user in user namespace";
        if (!map.Gids.IsMapped(user.Gid)) return SetupUser + "cannot set gid to unmapped user in user namespace";
        if ((user.AdditionalGids ?? []).Any(g => !map.Gids.IsMapped(g))) return SetupUser + "setgroups: invalid argument";
        return null;
    }

    /// <summary>The container's id maps: the config's with a user namespace, else the identity (as runc, which ignores mappings then).</summary>
    public static UserNamespaceMap MapOf(OciSpec spec)
    {
        if (!HasUserNamespace(spec) || spec.Linux!.UidMappings is not { Count: > 0 } uids || spec.Linux.GidMappings is not { Count: > 0 } gids)
            return UserNamespaceMap.Initial;
        return new UserNamespaceMap(new IdMap(Extents(uids)), new IdMap(Extents(gids)), isNew: true);
    }

    /// <summary>A /proc/PID/uid_map or gid_map ("%10u %10u %10u" lines: inside, outside, count) as extents; null if malformed.</summary>
    public static IdMapExtent[]? ParseProcIdMap(string text)
    {
        var list = new List<IdMapExtent>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length != 3 || !uint.TryParse(f[0], out uint inside) || !uint.TryParse(f[1], out uint outside) || !uint.TryParse(f[2], out uint count))
                return null;
            list.Add(new IdMapExtent(inside, outside, count));
        }
        return [.. list];
    }

    /// <summary>
    /// A user namespace joined by path (linux.namespaces user with a path) has the id maps of its
    /// target, which the Sentry takes from linux.uidMappings/gidMappings: null when those are the
    /// target's (as extents, in any order), else a one-line refusal. runc 1.1.5 would run the
    /// process with the target's maps and use the config's only for the rootfs's owner; csrunsc
    /// refuses the mismatch instead of running with maps the namespace does not have.
    /// </summary>
    public static string? JoinedMapsDiffer(OciSpec spec, string path, IdMapExtent[] uids, IdMapExtent[] gids)
    {
        static bool Same(List<OciIdMapping>? config, IdMapExtent[] actual) =>
            config is not null && Extents(config).OrderBy(e => e.ContainerId).SequenceEqual(actual.OrderBy(e => e.ContainerId));
        if (!Same(spec.Linux?.UidMappings, uids))
            return $"user namespace {path}: linux.uidMappings are not its uid_map ({string.Join(", ", uids.Select(e => $"{e.ContainerId} {e.HostId} {e.Size}"))})";
        if (!Same(spec.Linux?.GidMappings, gids))
            return $"user namespace {path}: linux.gidMappings are not its gid_map ({string.Join(", ", gids.Select(e => $"{e.ContainerId} {e.HostId} {e.Size}"))})";
        return null;
    }

    private static IdMapExtent[] Extents(List<OciIdMapping> mappings) =>
        mappings.Select(m => new IdMapExtent(m.ContainerId, m.HostId, m.Size)).ToArray();
}
