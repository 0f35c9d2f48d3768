using System.Text.Json;
using Csrunsc.Sentry.Boot;
using Csrunsc.Sentry.Kernel;

namespace Csrunsc.Oci;

/// <summary>
/// config.json's linux.devices (nodes to make in the container's /dev) and
/// linux.resources.devices (the devices controller's rules), read and checked at create with
/// runc's errors. The Sentry makes the nodes in its own /dev tmpfs, so a node outside /dev, or a
/// /dev that is not a tmpfs mount, is refused rather than silently missing.
/// </summary>
public static class OciDevices
{
    public static bool TryRead(OciSpec spec, out List<DeviceNode> nodes, out List<DeviceRule> rules, out string error)
    {
        nodes = [];
        rules = [];
        error = "";
        if (spec.Linux?.Devices is { ValueKind: JsonValueKind.Array } devices)
        {
            bool devIsTmpfs = spec.Mounts?.Any(m => Sentry.Boot.Sandbox.NormalizePath(m.Destination) == "/dev" && m.Type == "tmpfs") ?? false;
            foreach (var d in devices.EnumerateArray())
            {
                if (!TryReadNode(d, devIsTmpfs, out var node, out error)) return false;
                nodes.Add(node!);
            }
        }
        if (spec.Linux?.Resources is { ValueKind: JsonValueKind.Object } resources
            && resources.TryGetProperty("devices", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var r in list.EnumerateArray())
            {
                if (!TryReadRule(r, out var rule, out error)) return false;
                rules.Add(rule);
            }
        }
        return true;
    }

    private static bool TryReadNode(JsonElement d, bool devIsTmpfs, out DeviceNode? node, out string error)
    {
        node = null;
        string path = String(d, "path") ?? "";
        string type = String(d, "type") ?? "";
        if (type is not ("c" or "u" or "b" or "p"))
        {
            error = $"invalid device type \"{type}\" for device {path}";
            return false;
        }
        string normal = Sentry.Boot.Sandbox.NormalizePath(path);
        if (!path.StartsWith('/') || !normal.StartsWith("/dev/", StringComparison.Ordinal))
        {
            error = $"device {path}: csrunsc makes device nodes only under /dev (an absolute path below it)";
            return false;
        }
        if (!devIsTmpfs)
        {
            error = $"device {path}: /dev must be a tmpfs mount for csrunsc to make device nodes in it";
            return false;
        }
        if (!TryNumber(d, "major", 0, out long major) || !TryNumber(d, "minor", 0, out long minor)
            || !TryNumber(d, "fileMode", 0x1B6 /*0666*/, out long mode) || !TryNumber(d, "uid", 0, out long uid)
            || !TryNumber(d, "gid", 0, out long gid) || major is < 0 or > 0xFFF || minor is < 0 or > 0xFFFFF
            || uid is < 0 or > uint.MaxValue || gid is < 0 or > uint.MaxValue)
        {
            error = $"device {path}: major, minor, fileMode, uid and gid must be numbers in range";
            return false;
        }
        node = new DeviceNode(normal, type[0], (uint)major, (uint)minor, (uint)mode & 0xFFF, (uint)uid, (uint)gid);
        error = "";
        return true;
    }

    private static bool TryReadRule(JsonElement r, out DeviceRule rule, out string error)
    {
        rule = default;
        bool allow = r.TryGetProperty("allow", out var a) && a.ValueKind == JsonValueKind.True;
        string type = String(r, "type") ?? "a";
        if (type.Length == 0) type = "a";
        if (type is not ("a" or "b" or "c"))
        {
            error = $"invalid cgroup device type \"{type}\"";
            return false;
        }
        string accessText = String(r, "access") ?? "rwm";
        int access = accessText.Length == 0 ? 7 : DeviceRule.ParseAccess(accessText);
        if (access < 0)
        {
            error = $"invalid cgroup device access \"{accessText}\"";
            return false;
        }
        if (!TryNumber(r, "major", -1, out long major) || !TryNumber(r, "minor", -1, out long minor))
        {
            error = "cgroup device rule: major and minor must be numbers";
            return false;
        }
        rule = new DeviceRule(allow, type[0], major, minor, access);
        error = "";
        return true;
    }

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>An integer property, or fallback when absent or null.</summary>
    private static bool TryNumber(JsonElement e, string name, long fallback, out long value)
    {
        value = fallback;
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return true;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out value);
    }
}
