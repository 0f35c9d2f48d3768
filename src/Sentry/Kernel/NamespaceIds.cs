namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// The identities (inode numbers) of the namespaces the guest sees in /proc/PID/ns. The runtime
/// derives them from config.json: a namespace joined by path keeps the identity of what it joins
/// (another csrunsc container's, or the host's), a new one gets its own. The sandbox's kernel
/// provides the isolation itself; this is what `readlink /proc/self/ns/X` reports.
/// </summary>
public sealed class NamespaceIds
{
    private readonly Dictionary<string, ulong> _ids = new(StringComparer.Ordinal);

    public static readonly string[] Types = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"];

    public NamespaceIds(IReadOnlyDictionary<string, ulong>? ids = null)
    {
        ulong next = 4026532000 + (ulong)Random.Shared.Next(0, 100000) * 16;
        foreach (var t in Types) _ids[t] = ids is not null && ids.TryGetValue(t, out ulong v) ? v : next++;
    }

    public ulong Of(string type) => _ids.TryGetValue(type, out ulong v) ? v : 0;
}
