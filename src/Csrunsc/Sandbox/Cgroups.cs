using System.Globalization;
using System.Text.Json;

namespace Csrunsc.Sandbox;

/// <summary>
/// cgroup v1 (this machine class: hybrid, no systemd) for the sandbox's host processes: the
/// sandbox, gofer and stubs all live in the container's cgroups, so linux.resources and `update`
/// limit the whole sandbox, and containerd reads metrics from the init pid's cgroups.
/// </summary>
public static class Cgroups
{
    private const string Mount = "/sys/fs/cgroup";
    private static readonly string[] Controllers = ["memory", "cpu", "cpuacct", "pids", "blkio", "devices", "freezer", "cpuset"];

    /// <summary>The container's cgroup path (linux.cgroupsPath, or /csrunsc/ID); systemd "slice:prefix:name" paths are mapped under the slice.</summary>
    public static string PathFor(string? cgroupsPath, string id)
    {
        if (string.IsNullOrEmpty(cgroupsPath)) return "/csrunsc/" + id;
        if (!cgroupsPath.StartsWith('/') && cgroupsPath.Count(c => c == ':') == 2)
        {
            var p = cgroupsPath.Split(':');
            return "/" + p[0] + "/" + p[1] + "-" + p[2] + ".scope";
        }
        return cgroupsPath.StartsWith('/') ? cgroupsPath : "/" + cgroupsPath;
    }

    /// <summary>Write fds of each directory's cgroup.procs (for the pod's Sentry to move a member's stubs in); the caller closes them.</summary>
    public static List<int> ProcsFiles(IEnumerable<string> dirs)
    {
        var fds = new List<int>();
        foreach (var d in dirs)
        {
            int fd = Native.Libc.OpenPath(Path.Combine(d, "cgroup.procs"), Native.Libc.O_WRONLY | Native.Libc.O_CLOEXEC);
            if (fd >= 0) fds.Add(fd);
        }
        return fds;
    }

    /// <summary>Creates the cgroups and moves pid into them; returns the directories made/used.</summary>
    public static List<string> Join(string path, int pid)
    {
        var dirs = new List<string>();
        if (!Directory.Exists(Path.Combine(Mount, "memory"))) return dirs;
        foreach (var c in Controllers)
        {
            string root = Path.Combine(Mount, c);
            if (!Directory.Exists(root)) continue;
            string dir = root + path;
            try
            {
                Directory.CreateDirectory(dir);
                if (c == "cpuset") InheritCpuset(root, path);
                File.WriteAllText(Path.Combine(dir, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));
                dirs.Add(dir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A controller we may not use here (e.g. a read-only hierarchy): skip it.
            }
        }
        return dirs;
    }

    /// <summary>cpuset children start empty; copy cpus and mems down from the parents.</summary>
    private static void InheritCpuset(string root, string path)
    {
        string cur = root;
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            string parent = cur;
            cur = Path.Combine(cur, part);
            foreach (var f in new[] { "cpuset.cpus", "cpuset.mems" })
            {
                string target = Path.Combine(cur, f);
                if (File.Exists(target) && File.ReadAllText(target).Trim().Length == 0)
                    File.WriteAllText(target, File.ReadAllText(Path.Combine(parent, f)).Trim());
            }
        }
    }

    /// <summary>Applies a LinuxResources object (config.json's linux.resources or `update --resources`).</summary>
    public static string? Apply(IEnumerable<string> dirs, JsonElement resources)
    {
        var byController = dirs.ToDictionary(d => d.Split('/')[4], d => d);
        string? Write(string controller, string file, string value)
        {
            if (!byController.TryGetValue(controller, out var dir)) return null;
            try
            {
                File.WriteAllText(Path.Combine(dir, file), value);
                return null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return $"failed to write {value} to {file}: {e.Message}";
            }
        }
        string? err = null;
        if (resources.ValueKind != JsonValueKind.Object) return null;
        if (resources.TryGetProperty("memory", out var mem) && mem.ValueKind == JsonValueKind.Object)
        {
            if (Long(mem, "limit") is { } limit) err ??= Write("memory", "memory.limit_in_bytes", limit.ToString(CultureInfo.InvariantCulture));
            if (Long(mem, "reservation") is { } res) err ??= Write("memory", "memory.soft_limit_in_bytes", res.ToString(CultureInfo.InvariantCulture));
        }
        if (resources.TryGetProperty("cpu", out var cpu) && cpu.ValueKind == JsonValueKind.Object)
        {
            if (Long(cpu, "shares") is { } shares and > 0) err ??= Write("cpu", "cpu.shares", shares.ToString(CultureInfo.InvariantCulture));
            if (Long(cpu, "period") is { } period and > 0) err ??= Write("cpu", "cpu.cfs_period_us", period.ToString(CultureInfo.InvariantCulture));
            if (Long(cpu, "quota") is { } quota and not 0) err ??= Write("cpu", "cpu.cfs_quota_us", quota.ToString(CultureInfo.InvariantCulture));
            if (cpu.TryGetProperty("cpus", out var cpus) && cpus.ValueKind == JsonValueKind.String && cpus.GetString() is { Length: > 0 } cs)
                err ??= Write("cpuset", "cpuset.cpus", cs);
            if (cpu.TryGetProperty("mems", out var mems) && mems.ValueKind == JsonValueKind.String && mems.GetString() is { Length: > 0 } ms)
                err ??= Write("cpuset", "cpuset.mems", ms);
        }
        if (resources.TryGetProperty("pids", out var pids) && pids.ValueKind == JsonValueKind.Object && Long(pids, "limit") is { } pl)
            err ??= Write("pids", "pids.max", pl > 0 ? pl.ToString(CultureInfo.InvariantCulture) : "max");
        if (resources.TryGetProperty("blockIO", out var bio) && bio.ValueKind == JsonValueKind.Object && Long(bio, "weight") is { } w and > 0)
            err ??= Write("blkio", "blkio.weight", w.ToString(CultureInfo.InvariantCulture));
        return err;
    }

    private static long? Long(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long l) ? l : null;

    /// <summary>Removes the container's cgroups (they must be empty: after the sandbox is gone).</summary>
    public static void Remove(IEnumerable<string> dirs)
    {
        foreach (var d in dirs)
        {
            for (int i = 0; i < 50; i++)
            {
                try
                {
                    if (Directory.Exists(d)) Directory.Delete(d);
                    break;
                }
                catch (IOException)
                {
                    Thread.Sleep(10);
                }
                catch (UnauthorizedAccessException)
                {
                    break;
                }
            }
        }
    }

    /// <summary>Reads one value file (e.g. memory.usage_in_bytes) of a controller, or null.</summary>
    public static string? Read(IEnumerable<string> dirs, string controller, string file)
    {
        var dir = dirs.FirstOrDefault(d => d.Split('/')[4] == controller);
        if (dir is null) return null;
        try { return File.ReadAllText(Path.Combine(dir, file)).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
