using System.Text.RegularExpressions;
using Csrunsc.Oci;
using Csrunsc.State;
using Csrunsc.Sentry.Kernel;

namespace Csrunsc.Sandbox;

/// <summary>
/// Which namespace identity the guest sees for each type (/proc/PID/ns): a namespace joined by
/// path keeps the identity of its target — another csrunsc sandbox's (as CRI pods name the pause
/// container's /proc/PID/ns/*) or a host namespace file's; a new one is fresh; one not listed is
/// the host's.
/// </summary>
public static partial class NamespacePlan
{
    private static readonly Dictionary<string, string> OciToProc = new(StringComparer.Ordinal)
    {
        ["pid"] = "pid", ["network"] = "net", ["mount"] = "mnt", ["ipc"] = "ipc", ["uts"] = "uts",
        ["user"] = "user", ["cgroup"] = "cgroup", ["time"] = "time",
    };

    [GeneratedRegex(@"^/proc/(\d+)/ns/([a-z_]+)$")]
    private static partial Regex ProcNsPath();

    /// <summary>CLONE_NEW* of each OCI type that may be joined by path (what NS_GET_NSTYPE answers).</summary>
    private static readonly Dictionary<string, int> OciToCloneFlag = new(StringComparer.Ordinal)
    {
        ["pid"] = 0x20000000, ["network"] = 0x40000000, ["mount"] = 0x00020000, ["ipc"] = 0x08000000,
        ["uts"] = 0x04000000, ["user"] = 0x10000000, ["cgroup"] = 0x02000000, ["time"] = 0x00000080,
    };

    /// <summary>
    /// Every namespace named by path must exist and be a namespace of its type (create fails
    /// before anything is made otherwise, as runc refuses it). Null when all are valid, else the error.
    /// </summary>
    public static unsafe string? Validate(OciSpec spec)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in spec.Linux?.Namespaces ?? [])
        {
            if (!OciToCloneFlag.TryGetValue(entry.Type ?? "", out int flag)) return $"unknown namespace type \"{entry.Type}\"";
            if (!seen.Add(entry.Type!)) return $"malformed spec file: duplicated ns \"{entry.Type}\"";
            if (string.IsNullOrEmpty(entry.Path)) continue;
            int fd = Native.Libc.OpenPath(entry.Path, Native.Libc.O_RDONLY | Native.Libc.O_CLOEXEC);
            if (fd < 0) return $"namespace path: lstat {entry.Path}: {Native.Errno.Describe(Native.Libc.LastErrno)}";
            int type = Native.Libc.NamespaceType(fd);
            Native.Libc.Close(fd);
            if (type != flag) return $"namespace path {entry.Path} is not a {entry.Type} namespace";
        }
        return null;
    }

    /// <summary>
    /// A user namespace joined by path: the Sentry runs the container with linux.uidMappings and
    /// gidMappings (BundleLoader requires them, as runc 1.1.5), so they must be the target's maps.
    /// The target's are another csrunsc container's config maps (its sandbox pid's /proc/PID/ns/user:
    /// the Sentry's user namespace is its own, the host process stays in the host's), the host's
    /// identity for the initial namespace, or a host process's /proc/PID/uid_map and gid_map (the
    /// path's PID, else any process found in that namespace). A namespace with no process in it
    /// (a bind-mounted ns file) cannot be read: refused. Null when they match, else the one-line error.
    /// </summary>
    public static string? CheckJoinedUser(OciSpec spec, StateStore store)
    {
        var entry = spec.Linux?.Namespaces?.FirstOrDefault(n => n.Type == "user");
        if (string.IsNullOrEmpty(entry?.Path)) return null;
        string path = entry.Path;
        var m = ProcNsPath().Match(path);
        if (m.Success && int.TryParse(m.Groups[1].Value, out int spid))
            foreach (var id in store.Ids())
                if (store.Load(id) is { } st && st.Pid == spid && Cli.Containers.Spec(st) is { } target)
                {
                    if (!UserNamespaceCheck.HasUserNamespace(target)) break; // its guest is in the host's namespace
                    var map = UserNamespaceCheck.MapOf(target);
                    return UserNamespaceCheck.JoinedMapsDiffer(spec, path, ToExtents(map.Uids), ToExtents(map.Gids));
                }
        ulong? ino = NsInode(path);
        if (ino is null) return $"user namespace {path}: cannot read its identity";
        IdMapExtent[] identity = [new(0, 0, uint.MaxValue)];
        if (NsInode("/proc/self/ns/user") == ino) return UserNamespaceCheck.JoinedMapsDiffer(spec, path, identity, identity);
        var candidates = new List<string>();
        if (m.Success) candidates.Add(m.Groups[1].Value);
        try
        {
            candidates.AddRange(Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => n is { Length: > 0 } && char.IsAsciiDigit(n[0]))!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        foreach (var pid in candidates)
        {
            if (NsInode($"/proc/{pid}/ns/user") != ino) continue;
            string uidText, gidText;
            try
            {
                uidText = File.ReadAllText($"/proc/{pid}/uid_map");
                gidText = File.ReadAllText($"/proc/{pid}/gid_map");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            // The process may have left (pid reused) between the two reads.
            if (NsInode($"/proc/{pid}/ns/user") != ino) continue;
            if (UserNamespaceCheck.ParseProcIdMap(uidText) is not { } uids || UserNamespaceCheck.ParseProcIdMap(gidText) is not { } gids) continue;
            return UserNamespaceCheck.JoinedMapsDiffer(spec, path, uids, gids);
        }
        return $"user namespace {path}: no process is in it to read its uid_map and gid_map from (joining it is not supported)";
    }

    /// <summary>The namespace's inode (st_ino of the opened nsfs file: a /proc/PID/ns link or a bind mount of one), or null.</summary>
    private static unsafe ulong? NsInode(string path)
    {
        int fd = Native.Libc.OpenPath(path, Native.Libc.O_RDONLY | Native.Libc.O_CLOEXEC);
        if (fd < 0) return null;
        Native.StatBuf st;
        int rc = Native.Libc.FStat(fd, &st);
        Native.Libc.Close(fd);
        return rc == 0 ? st.Ino : null;
    }

    private static IdMapExtent[] ToExtents(Sentry.Kernel.IdMap map) => map.Extents.ToArray();

    /// <summary>
    /// The hostname of the UTS namespace at path: what a container joining it sees (CRI's app
    /// containers join the pause container's). Read by a thread that enters it only for that. Null if unreadable.
    /// </summary>
    public static unsafe string? HostnameOf(string path)
    {
        int fd = Native.Libc.OpenPath(path, Native.Libc.O_RDONLY | Native.Libc.O_CLOEXEC);
        if (fd < 0) return null;
        string? name = null;
        var reader = new Thread(() =>
        {
            if (Native.Libc.SetNs(fd, Native.Libc.CLONE_NEWUTS) != 0) return;
            byte* buf = stackalloc byte[65];
            if (Native.Libc.GetHostname(buf, 65) == 0) name = new string((sbyte*)buf);
        }, 64 * 1024);
        reader.Start();
        reader.Join();
        Native.Libc.Close(fd);
        return name;
    }

    public static Dictionary<string, ulong> Compute(OciSpec spec, StateStore store)
    {
        var ids = new Dictionary<string, ulong>(StringComparer.Ordinal);
        var entries = spec.Linux?.Namespaces ?? [];
        // Fresh identities: above the host's initial namespaces (4026531835..), like new kernel ones.
        ulong fresh = 4026532000 + (ulong)Random.Shared.Next(0, 1 << 20) * 16;
        foreach (var (ociType, type) in OciToProc)
        {
            var entry = entries.FirstOrDefault(n => n.Type == ociType);
            if (entry is null)
            {
                if (Inode($"/proc/self/ns/{type}") is { } host) ids[type] = host;
                continue;
            }
            if (string.IsNullOrEmpty(entry.Path))
            {
                ids[type] = fresh++;
                continue;
            }
            var m = ProcNsPath().Match(entry.Path);
            if (m.Success && SandboxNamespace(store, int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), type) is { } joined)
                ids[type] = joined;
            else if ((Inode(entry.Path) ?? NsInode(entry.Path)) is { } target) // a bind-mounted ns file is no link: its st_ino
                ids[type] = target;
        }
        return ids;
    }

    private static ulong? SandboxNamespace(StateStore store, int pid, string type)
    {
        foreach (var id in store.Ids())
        {
            var s = store.Load(id);
            if (s is not null && s.Pid == pid && s.Namespaces.TryGetValue(type, out ulong v)) return v;
        }
        return null;
    }

    private static ulong? Inode(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists && !Directory.Exists(path) && info.LinkTarget is null) return null;
            string? target = File.ResolveLinkTarget(path, false)?.Name ?? info.LinkTarget;
            // Namespace files read as "type:[inode]".
            if (target is not null)
            {
                int open = target.IndexOf('['), close = target.IndexOf(']');
                if (open >= 0 && close > open && ulong.TryParse(target[(open + 1)..close], out ulong ino)) return ino;
            }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static string Format(IReadOnlyDictionary<string, ulong> ids) => string.Join(',', ids.Select(kv => $"{kv.Key}={kv.Value}"));

    public static Dictionary<string, ulong> Parse(string? s)
    {
        var d = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var part in (s ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=');
            if (eq > 0 && ulong.TryParse(part[(eq + 1)..], out ulong v)) d[part[..eq]] = v;
        }
        return d;
    }
}
