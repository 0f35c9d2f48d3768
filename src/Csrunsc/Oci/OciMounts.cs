namespace Csrunsc.Oci;

/// <summary>
/// config.json's mounts checked at create: a filesystem type the Sentry does not implement is
/// refused with one line rather than left out of the container's mount table (where a workload
/// would write its data into the rootfs instead of a volume it believes mounted).
/// </summary>
public static class OciMounts
{
    /// <summary>Types the Sentry serves itself; every bind mount (type "bind" or a bind/rbind option) goes through the gofer.</summary>
    public static readonly string[] SupportedTypes = ["proc", "sysfs", "tmpfs", "shm", "devpts", "mqueue", "cgroup", "cgroup2"];

    public static bool TryCheck(OciSpec spec, out string error)
    {
        error = "";
        foreach (var m in spec.Mounts ?? [])
        {
            var options = m.Options ?? [];
            if (m.Type == "bind" || options.Contains("bind") || options.Contains("rbind")) continue;
            if (m.Type is { } type && Array.IndexOf(SupportedTypes, type) >= 0) continue;
            error = $"mount of type \"{m.Type}\" at {m.Destination} is not supported by csrunsc " +
                    $"(supported: bind, {string.Join(", ", SupportedTypes)})";
            return false;
        }
        return true;
    }
}
