using System.Net;
using System.Text.Json.Nodes;

namespace Csrunsc.Tests.Integration.Cri;

/// <summary>
/// The pod network of the CRI tests: a CNI config (Debian's containernetworking-plugins) for a
/// bridge of our own (<see cref="BridgeName"/>, unique per test run) with host-local addresses on a
/// private /24 that no route of the host uses yet (<see cref="Subnet"/>, 10.88.X.0/24), the bridge
/// as the pods' gateway (`isGateway`: the host reaches the pods at their IPs), no masquerade and no
/// default route in the pods. Two iptables rules in FORWARD drop anything entering or leaving the
/// bridge through another interface, so nothing a pod sends is ever forwarded off the machine (the
/// bridge plugin turns on net.ipv4.ip_forward for a gateway; <see cref="Dispose"/> restores it).
/// <see cref="Dispose"/> removes the rules, the bridge and the address store.
/// </summary>
public sealed class CniNetwork : IDisposable
{
    public const string PluginDir = "/usr/lib/cni";

    // Names carry the test process's pid (at most 7 digits: bridge names fit IFNAMSIZ, 15).
    private const string BridgePrefix = "csrcri";
    private const string NamePrefix = "csrunsc-it-";
    private const string IpForwardPath = "/proc/sys/net/ipv4/ip_forward";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(15);

    private readonly string _ipForwardBefore;
    private readonly List<string[]> _rules = [];

    /// <summary>Writes the CNI config into <paramref name="confDir"/> and installs the firewall rules.</summary>
    public CniNetwork(string confDir, string stateDir)
    {
        ConfDir = confDir;
        IpamDir = Path.Join(stateDir, "ipam");
        Directory.CreateDirectory(ConfDir);
        Directory.CreateDirectory(IpamDir);
        RemoveStale();
        BridgeName = BridgePrefix + Environment.ProcessId;
        NetworkName = NamePrefix + Environment.ProcessId;
        var third = FreeThirdOctet();
        Subnet = $"10.88.{third}.0/24";
        Gateway = $"10.88.{third}.1";
        _ipForwardBefore = File.ReadAllText(IpForwardPath).Trim();
        try
        {
            Install();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private void Install()
    {
        // Drop every packet that would be forwarded between the bridge and any other interface.
        foreach (var rule in new[] { new[] { "-i", BridgeName, "!", "-o", BridgeName }, ["-o", BridgeName, "!", "-i", BridgeName] })
        {
            string[] spec = ["FORWARD", .. rule, "-m", "comment", "--comment", NetworkName, "-j", "DROP"];
            Shell.Run(CommandTimeout, "iptables", ["-w", "-I", .. spec]).EnsureSuccess("iptables -I FORWARD (pod network firewall)");
            _rules.Add(spec);
        }

        var config = new JsonObject
        {
            ["cniVersion"] = "1.0.0",
            ["name"] = NetworkName,
            ["plugins"] = new JsonArray(new JsonObject
            {
                ["type"] = "bridge",
                ["bridge"] = BridgeName,
                ["isGateway"] = true,
                ["ipMasq"] = false,
                ["hairpinMode"] = true,
                ["ipam"] = new JsonObject
                {
                    ["type"] = "host-local",
                    ["ranges"] = new JsonArray(new JsonArray(new JsonObject { ["subnet"] = Subnet, ["gateway"] = Gateway })),
                    ["dataDir"] = IpamDir,
                },
            }),
        };
        File.WriteAllText(Path.Join(ConfDir, "10-csrunsc-it.conflist"), config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The directory containerd's CRI plugin reads (`conf_dir`).</summary>
    public string ConfDir { get; }

    /// <summary>host-local's address store: one file per address in use, named after the address.</summary>
    public string IpamDir { get; }

    public string BridgeName { get; }
    public string NetworkName { get; }
    public string Subnet { get; }

    /// <summary>The bridge's address: the host as the pods see it.</summary>
    public string Gateway { get; }

    /// <summary>Pod addresses host-local has handed out and not yet released.</summary>
    public IReadOnlyList<string> AllocatedAddresses =>
        Directory.Exists(Path.Join(IpamDir, NetworkName))
            ? Directory.GetFiles(Path.Join(IpamDir, NetworkName)).Select(f => Path.GetFileName(f)).Where(n => IPAddress.TryParse(n, out _)).ToList()
            : [];

    /// <summary>Why the CRI tests cannot build this network here (null when they can).</summary>
    public static string? Unavailable()
    {
        foreach (var plugin in new[] { "bridge", "host-local", "loopback" })
        {
            if (!File.Exists(Path.Join(PluginDir, plugin)))
            {
                return $"the CRI tests need the CNI plugin {PluginDir}/{plugin} (apt-get install -y containernetworking-plugins; ./test.sh installs it)";
            }
        }

        return Shell.Which("iptables") is null
            ? "the CRI tests need iptables for the pod network's firewall (apt-get install -y iptables; ./test.sh installs it)"
            : null;
    }

    public void Dispose()
    {
        foreach (var rule in _rules)
        {
            Shell.Run(CommandTimeout, "iptables", ["-w", "-D", .. rule]);
        }

        _rules.Clear();
        if (Directory.Exists($"/sys/class/net/{BridgeName}"))
        {
            Shell.Run(CommandTimeout, "ip", ["link", "del", BridgeName]);
        }

        if (File.ReadAllText(IpForwardPath).Trim() != _ipForwardBefore)
        {
            File.WriteAllText(IpForwardPath, _ipForwardBefore);
        }

        if (Directory.Exists(IpamDir))
        {
            Directory.Delete(IpamDir, recursive: true);
        }
    }

    /// <summary>Removes the firewall rules and bridges of earlier test runs whose process died before its teardown.</summary>
    private static void RemoveStale()
    {
        static bool Dead(string pid) => int.TryParse(pid, out var p) && !Directory.Exists($"/proc/{p}");
        foreach (var line in Shell.Run(CommandTimeout, "iptables", ["-w", "-S", "FORWARD"]).Stdout.Split('\n'))
        {
            var match = System.Text.RegularExpressions.Regex.Match(line, $@"^-A (FORWARD .*--comment {NamePrefix}(\d+) .*)$");
            if (match.Success && Dead(match.Groups[2].Value))
            {
                Shell.Run(CommandTimeout, "iptables", ["-w", "-D", .. match.Groups[1].Value.Split(' ')]);
            }
        }

        foreach (var link in Directory.GetDirectories("/sys/class/net", BridgePrefix + "*"))
        {
            if (Dead(Path.GetFileName(link)[BridgePrefix.Length..]))
            {
                Shell.Run(CommandTimeout, "ip", ["link", "del", Path.GetFileName(link)]);
            }
        }
    }

    /// <summary>X of a 10.88.X.0/24 that no host route or address touches, starting from one derived from our pid.</summary>
    private static int FreeThirdOctet()
    {
        var used = Shell.Run(CommandTimeout, "ip", ["-4", "-o", "route", "show", "table", "all"]).Stdout
                   + Shell.Run(CommandTimeout, "ip", ["-4", "-o", "addr", "show"]).Stdout;
        var start = 100 + Environment.ProcessId % 150;
        for (var i = 0; i < 150; i++)
        {
            var third = 100 + (start - 100 + i) % 150;
            if (!used.Contains($"10.88.{third}.", StringComparison.Ordinal) && !used.Contains("10.88.0.0/16", StringComparison.Ordinal))
            {
                return third;
            }
        }

        throw new InvalidOperationException($"no free 10.88.X.0/24 for the pod network; host routes and addresses:\n{used}");
    }
}
