using Csrunsc.Oci;
using Csrunsc.Sentry.Boot;

namespace Csrunsc.Sandbox;

/// <summary>
/// The spec's mounts split between the Sentry's own filesystems and the gofer's bind mounts.
/// Both the gofer and the Sentry compute it from the same config.json, so attach indexes agree.
/// </summary>
public sealed class MountPlan
{
    public List<SandboxMount> SentryMounts { get; } = new();
    public List<(string GuestPath, string HostPath, bool ReadOnly)> GoferBinds { get; } = new();

    public static MountPlan From(OciSpec spec, string bundleDir)
    {
        var plan = new MountPlan();
        string? hostTable = null;
        foreach (var m in spec.Mounts ?? [])
        {
            var options = m.Options ?? [];
            bool ro = options.Contains("ro");
            bool bind = m.Type == "bind" || options.Contains("bind") || options.Contains("rbind");
            string dest = Sentry.Boot.Sandbox.NormalizePath(m.Destination);
            if (bind)
            {
                string src = m.Source ?? "";
                if (!Path.IsPathRooted(src)) src = Path.GetFullPath(Path.Combine(bundleDir, src));
                plan.GoferBinds.Add((dest, src, ro));
                hostTable ??= HostMountinfo.ReadHostTable();
                string fsRoot = HostMountinfo.RootInFileSystem(HostMountinfo.RealPath(src), hostTable);
                plan.SentryMounts.Add(new SandboxMount(dest, "bind", src, ro, plan.GoferBinds.Count, string.Join(',', options), fsRoot));
            }
            else
            {
                plan.SentryMounts.Add(new SandboxMount(dest, m.Type ?? "tmpfs", m.Source ?? "none", ro, -1, string.Join(',', options)));
            }
        }
        return plan;
    }
}
