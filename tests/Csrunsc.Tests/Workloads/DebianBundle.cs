using Csrunsc.Tests.Differential;

namespace Csrunsc.Tests.Workloads;

/// <summary>
/// Bundles that run the host's own Debian userland (host /usr bind-mounted read-only, a tmpfs
/// /tmp), made by tests/assets/make-debian-bundle.sh: one fresh bundle per container.
/// </summary>
public static class DebianBundle
{
    private static readonly object InstallLock = new();

    /// <summary>Makes a bundle for <paramref name="args"/>; files (name in the rootfs → host file) are copied into the rootfs.</summary>
    public static string Create(DifferentialFixture fixture, string containerId, IReadOnlyList<string> args,
        IReadOnlyDictionary<string, string>? files = null, Action<System.Text.Json.Nodes.JsonObject>? editConfig = null)
    {
        var bundle = Path.Join(fixture.ScratchDir, "debian-bundles", containerId);
        HostCommand.Run("bash", [Path.Join(RepositoryLayout.AssetsDir, "make-debian-bundle.sh"), bundle, .. args]);
        if (editConfig is not null)
        {
            var path = Path.Join(bundle, "config.json");
            var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            editConfig(config);
            File.WriteAllText(path, config.ToJsonString());
        }
        foreach (var (guestPath, hostPath) in files ?? new Dictionary<string, string>())
        {
            var target = Path.Join(bundle, "rootfs", guestPath);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(hostPath, target, overwrite: true);
            File.SetUnixFileMode(target, File.GetUnixFileMode(hostPath));
        }

        return bundle;
    }

    /// <summary>
    /// Makes sure /usr/bin/<paramref name="program"/> exists on the host (the bundles use host /usr),
    /// installing <paramref name="package"/> with apt-get when it is missing.
    /// </summary>
    public static void RequireProgram(string program, string package)
    {
        lock (InstallLock)
        {
            if (File.Exists(Path.Join("/usr/bin", program)))
            {
                return;
            }

            HostCommand.Run(TimeSpan.FromMinutes(10), "apt-get", "update", "-qq");
            HostCommand.Run(TimeSpan.FromMinutes(10), "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", package);
            if (!File.Exists(Path.Join("/usr/bin", program)))
            {
                throw new InvalidOperationException($"/usr/bin/{program} is still missing after apt-get install {package}");
            }
        }
    }
}
