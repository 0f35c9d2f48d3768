using System.Text.RegularExpressions;
using Csrunsc.Oci;
using Csrunsc.State;

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
            else if (Inode(entry.Path) is { } target)
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
