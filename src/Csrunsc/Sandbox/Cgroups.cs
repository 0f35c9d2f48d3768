using System.Globalization;
using System.Text.Json;

namespace Csrunsc.Sandbox;

/// <summary>
/// The container's cgroups, on cgroup v1 (one directory per mounted controller, as on this machine
/// class: hybrid, no systemd) or a v2 host (one directory, controllers enabled down the path). They
/// are made and limited (linux.resources, <see cref="CgroupResourcePlan"/>) before the sandbox
/// starts, and the sandbox process joins them first thing (`boot --cgroup-fds`), so the gofer and
/// every stub start inside them: linux.resources and `update` limit the whole sandbox, and
/// containerd reads metrics from the init pid's cgroups.
/// </summary>
public static class Cgroups
{
    private const string Mount = "/sys/fs/cgroup";

    /// <summary>
    /// The v1 hierarchies runc joins (those mounted here are used): the controllers, the named
    /// name=systemd hierarchy (/sys/fs/cgroup/systemd: runc's fs driver creates and joins the
    /// container's path there too, so /proc/PID/cgroup's name=systemd line is the container's) and,
    /// on a hybrid host, the unified cgroup2 hierarchy (/sys/fs/cgroup/unified, the "0::" line).
    /// </summary>
    private static readonly string[] Controllers =
        ["cpuset", "cpu", "cpuacct", "memory", "devices", "freezer", "net_cls", "net_prio", "blkio", "perf_event", "pids", "hugetlb", "rdma", "misc",
         "systemd", "unified"];

    /// <summary>A cgroup v2 host (the unified hierarchy at /sys/fs/cgroup); false on v1 and hybrid hosts.</summary>
    public static bool Unified => File.Exists(Path.Combine(Mount, "cgroup.controllers"));

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

    /// <summary>The controller a directory of ours belongs to ("" for a v2 directory: all of them).</summary>
    private static string ControllerOf(string dir) =>
        Unified ? "" : dir[(Mount.Length + 1)..].Split('/')[0];

    /// <summary>Write fds of each directory's cgroup.procs (for a process to join with "0", or a Sentry to move stubs in); the caller closes them.</summary>
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

    /// <summary>
    /// Creates the container's cgroups (nothing joins them yet); returns the directories. On v2 the
    /// controllers the parent offers are enabled in every ancestor's cgroup.subtree_control.
    /// </summary>
    public static List<string> Create(string path, out string? error)
    {
        error = null;
        var dirs = new List<string>();
        try
        {
            if (Unified)
            {
                string cur = Mount;
                foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
                {
                    EnableControllers(cur);
                    cur = Path.Combine(cur, part);
                    Directory.CreateDirectory(cur);
                }
                dirs.Add(cur);
                return dirs;
            }
            var seen = new HashSet<string>();
            foreach (var c in Controllers)
            {
                string root = Path.Combine(Mount, c);
                if (!Directory.Exists(root)) continue;
                // Co-mounted controllers (cpu,cpuacct) are one hierarchy reached by two names.
                string real = new DirectoryInfo(root).ResolveLinkTarget(true)?.FullName ?? root;
                string dir = root + path;
                if (c is "systemd" or "unified")
                {
                    // runc's NameGroup ignores a named hierarchy it cannot join; so are these here.
                    try { Directory.CreateDirectory(dir); }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
                }
                else Directory.CreateDirectory(dir);
                if (c == "cpuset") InheritCpuset(root, path);
                if (seen.Add(real + path)) dirs.Add(dir);
            }
            return dirs;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Remove(dirs);
            error = $"cannot create cgroup {path}: {e.Message}";
            return [];
        }
    }

    /// <summary>v2: each controller dir's parent offers (cgroup.controllers) is enabled for its children.</summary>
    private static void EnableControllers(string dir)
    {
        string offered = File.ReadAllText(Path.Combine(dir, "cgroup.controllers")).Trim();
        string wanted = string.Join(' ', offered.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(c => "+" + c));
        if (wanted.Length > 0) File.WriteAllText(Path.Combine(dir, "cgroup.subtree_control"), wanted);
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

    /// <summary>
    /// Applies a LinuxResources object (config.json's linux.resources or `update --resources`) as
    /// runc does; returns null or runc's error. Warnings (fields without effect on this kernel, as
    /// runc warns) go to the log.
    /// </summary>
    public static string? Apply(IReadOnlyList<string> dirs, JsonElement resources)
    {
        var byController = new Dictionary<string, string>();
        foreach (var d in dirs) byController[ControllerOf(d)] = d;
        var writes = new List<CgroupWrite>();
        var warnings = new List<string>();
        string? err;
        if (Unified)
        {
            string? dir = dirs.Count > 0 ? dirs[0] : null;
            err = CgroupResourcePlan.ForV2(resources, f => dir is not null && File.Exists(Path.Combine(dir, f)), writes, warnings);
        }
        else
        {
            err = CgroupResourcePlan.ForV1(resources,
                (c, f) => byController.TryGetValue(c, out var d) && File.Exists(Path.Combine(d, f)),
                (c, f) => Read(dirs, c, f), writes, warnings);
        }
        foreach (var w in warnings) Cli.Log.Warning(w);
        if (err is not null) return err;
        foreach (var w in writes)
        {
            if (!byController.TryGetValue(Unified ? "" : w.Controller, out var dir))
                return $"cannot set {w.Controller} limit: container could not join or create cgroup";
            if (WriteFile(dir, w.File, w.Value) is { } e) return e;
            // The kernel clamps cpu.shares into [2, 262144]: runc reads it back and refuses the clamp.
            if (w.File == "cpu.shares" && ulong.TryParse(Read(dirs, "cpu", "cpu.shares"), out ulong got) && ulong.TryParse(w.Value, out ulong want) && got != want)
                return want > got ? $"the maximum allowed cpu-shares is {got}" : $"the minimum allowed cpu-shares is {got}";
        }
        return null;
    }

    /// <summary>runc's cgroups.WriteFile: its error texts name the value and the path.</summary>
    private static string? WriteFile(string dir, string file, string value)
    {
        string path = Path.Combine(dir, file);
        int fd = Native.Libc.OpenPath(path, Native.Libc.O_WRONLY | Native.Libc.O_CLOEXEC);
        if (fd < 0) return $"openat2 {path}: {Native.Errno.Describe(Native.Libc.LastErrno)}";
        try
        {
            return Native.Libc.WriteAll(fd, System.Text.Encoding.UTF8.GetBytes(value)) ? null
                : $"failed to write \"{value}\": write {path}: {Native.Errno.Describe(Native.Libc.LastErrno)}";
        }
        finally
        {
            Native.Libc.Close(fd);
        }
    }

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

    /// <summary>The container's cgroup statistics, read with v1's or v2's file names as the host has them.</summary>
    public static CgroupStats Stats(IReadOnlyList<string> dirs) =>
        Unified ? CgroupStats.ReadV2(f => Read(dirs, "", f)) : CgroupStats.ReadV1((c, f) => Read(dirs, c, f));

    /// <summary>Reads one value file (e.g. memory.usage_in_bytes) of a controller, or null.</summary>
    public static string? Read(IEnumerable<string> dirs, string controller, string file)
    {
        var dir = dirs.FirstOrDefault(d => Unified || ControllerOf(d) == controller);
        if (dir is null) return null;
        try { return File.ReadAllText(Path.Combine(dir, file)).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
