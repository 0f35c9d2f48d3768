using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Proc;

namespace Csrunsc.Sentry.Fs.Cgroup;

/// <summary>
/// One cgroup hierarchy as the guest sees it at /sys/fs/cgroup/NAME (a v2 host: /sys/fs/cgroup
/// itself): a read-only, read-through view of the container's own host cgroup directory, opened
/// by the boot code before the Sentry confines itself — runc bind-mounts the same directory
/// read-only. Limits the runtime sets (create, `update`) and the host's usage figures are what the
/// guest reads, so the JVM, Go's GOMAXPROCS libraries and node size themselves as under runc.
/// </summary>
public sealed unsafe class HostCgroupView(string name, string controllers, string cgroupPath, int dirFd) : IProcSource
{
    /// <summary>The directory under /sys/fs/cgroup ("" on a v2 host: the mount is /sys/fs/cgroup).</summary>
    public string Name { get; } = name;

    /// <summary>The hierarchy's controllers as mountinfo's super options show them ("memory", "cpu,cpuacct"; "" for v2).</summary>
    public string Controllers { get; } = controllers;

    /// <summary>The container's path in the hierarchy: /proc/PID/cgroup's third field and the mount's root.</summary>
    public string CgroupPath { get; } = cgroupPath;

    /// <summary>
    /// The container's cgroups as the calling process (the sandbox, which joined them) is in them:
    /// each line of /proc/self/cgroup with its controllers' directory under /sys/fs/cgroup. A v1 or
    /// hybrid host gives one view per v1 hierarchy, name=systemd's (/sys/fs/cgroup/systemd) among
    /// them (the unified line is left out, as runc mounts only the v1 ones there); a v2 host one
    /// view. Call before chroot.
    /// </summary>
    public static List<HostCgroupView> OpenOwn(out string procSelfCgroup)
    {
        var views = new List<HostCgroupView>();
        try { procSelfCgroup = File.ReadAllText("/proc/self/cgroup"); }
        catch (IOException) { procSelfCgroup = "0::/\n"; return views; }
        bool unified = File.Exists("/sys/fs/cgroup/cgroup.controllers");
        foreach (var line in procSelfCgroup.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split(':', 3);
            if (f.Length != 3) continue;
            string controllers = f[1], path = f[2];
            if (unified != (controllers.Length == 0)) continue;
            // A named hierarchy (name=systemd) is mounted under its name.
            string name = unified ? "" : controllers.StartsWith("name=", StringComparison.Ordinal) ? controllers[5..] : controllers;
            string dir = unified ? "/sys/fs/cgroup" + path : $"/sys/fs/cgroup/{name}{path}";
            int fd = Libc.OpenPath(dir, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
            if (fd >= 0) views.Add(new HostCgroupView(name, controllers, path, fd));
        }
        // runc mounts the hierarchies in name order.
        views.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return views;
    }

    /// <summary>
    /// A pod member's cgroups, from their path (the proxy that asks for them is not in them): one
    /// view per v1 hierarchy /proc/cgroups names (co-mounted controllers share one, as
    /// "cpu,cpuacct"), or the one v2 directory; procCgroup is what /proc/self/cgroup would show.
    /// </summary>
    public static List<HostCgroupView> OpenFor(string cgroupPath, out string procCgroup)
    {
        var views = new List<HostCgroupView>();
        if (File.Exists("/sys/fs/cgroup/cgroup.controllers"))
        {
            procCgroup = "0::" + cgroupPath + "\n";
            int fd = Libc.OpenPath("/sys/fs/cgroup" + cgroupPath, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
            if (fd >= 0) views.Add(new HostCgroupView("", "", cgroupPath, fd));
            return views;
        }
        var hierarchies = new SortedDictionary<int, List<string>>();
        try
        {
            foreach (var line in File.ReadAllLines("/proc/cgroups"))
            {
                var f = line.Split('\t');
                if (line.StartsWith('#') || f.Length < 4 || !int.TryParse(f[1], out int h) || h == 0 || f[3] != "1") continue;
                if (!hierarchies.TryGetValue(h, out var names)) hierarchies[h] = names = [];
                names.Add(f[0]);
            }
        }
        catch (IOException) { }
        // name=systemd has no controller in /proc/cgroups: its hierarchy number is this process's line.
        var named = new Dictionary<int, string>();
        try
        {
            foreach (var line in File.ReadAllLines("/proc/self/cgroup"))
            {
                var f = line.Split(':', 3);
                if (f.Length == 3 && f[1] == "name=systemd" && int.TryParse(f[0], out int h)) named[h] = f[1];
            }
        }
        catch (IOException) { }
        var all = new SortedDictionary<int, string>();
        foreach (var (h, names) in hierarchies) all[h] = string.Join(',', names);
        foreach (var (h, n) in named) all[h] = n;
        var sb = new System.Text.StringBuilder();
        foreach (var (h, controllers) in all.Reverse())
        {
            string name = controllers.StartsWith("name=", StringComparison.Ordinal) ? controllers[5..] : controllers;
            int fd = Libc.OpenPath($"/sys/fs/cgroup/{name}{cgroupPath}", Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
            // The member's create made its path in each hierarchy runc joins; one it lacks stays at the root.
            if (name != controllers && fd < 0) continue;
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"{h}:{controllers}:{cgroupPath}\n");
            if (fd >= 0) views.Add(new HostCgroupView(name, controllers, cgroupPath, fd));
        }
        // A hybrid host's unified hierarchy: the member's path there when its create made one.
        sb.Append(Directory.Exists("/sys/fs/cgroup/unified" + cgroupPath) ? $"0::{cgroupPath}\n" : "0::/\n");
        procCgroup = sb.ToString();
        views.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return views;
    }

    /// <summary>The directory fd (handed to a pod's Sentry with the member's create request).</summary>
    public int DirFd => dirFd;

    /// <summary>/proc/PID/cgroup with every path relative to the container's (a cgroup namespace rooted there).</summary>
    public static string Namespaced(string procSelfCgroup)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var line in procSelfCgroup.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int at = line.IndexOf(':', line.IndexOf(':') + 1);
            sb.Append(at < 0 ? line : line[..(at + 1)] + "/").Append('\n');
        }
        return sb.ToString();
    }

    private int OpenRelative(string path, int flags)
    {
        string rel = path.TrimStart('/');
        if (rel.Length == 0) rel = ".";
        if (rel.Split('/').Contains("..")) return -Errno.ENOENT;
        byte[] p = Libc.CString(rel);
        fixed (byte* pp = p)
        {
            int fd = Libc.OpenAt(dirFd, pp, flags | Libc.O_CLOEXEC | Libc.O_NOFOLLOW, 0);
            return fd < 0 ? -Libc.LastErrno : fd;
        }
    }

    public List<(string Name, bool Directory)>? List(string path)
    {
        int fd = OpenRelative(path, Libc.O_RDONLY | Libc.O_DIRECTORY);
        if (fd < 0) return null;
        var list = Libc.ReadDirectory(fd);
        Libc.Close(fd);
        return list;
    }

    public byte[]? Read(string path)
    {
        int fd = OpenRelative(path, Libc.O_RDONLY);
        if (fd < 0) return null;
        try
        {
            var data = new List<byte>();
            byte* buf = stackalloc byte[4096];
            while (true)
            {
                nint n = Libc.Read(fd, buf, 4096);
                if (n <= 0) break;
                data.AddRange(new ReadOnlySpan<byte>(buf, (int)n));
            }
            return data.ToArray();
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>The view is read-only, as runc mounts it.</summary>
    public int Write(string path, string value) => -Errno.EROFS;
}
