using System.Text.Json.Nodes;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// The guest's network in a network namespace of its own (config.json lists one without a path:
/// both runtimes make it with loopback up): TCP/UDP over 127.0.0.1 and ::1, netlink views,
/// /proc/net and /proc/sys/net of the namespace, sysctls, and the errors for a bad namespace path.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class NetworkTests(DifferentialFixture fixture)
{
    private static readonly Action<JsonObject> NewNetns = BundleConfig.AddNetworkNamespace;

    [RootRequiredFact]
    public void InetSocketsOverLoopback()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, NewNetns, "/bin/net_inet");
        Assert.Contains("net_inet: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void IpAddrRouteLinkAndProcViews()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, NewNetns, "sh", "-c",
            "ip addr; ip -4 -o addr show lo; ip link show lo; ip route; ip -6 route; ip link; head -3 /proc/net/dev; cat /proc/net/if_inet6; " +
            "cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/core/somaxconn; ls /proc/sys/net | sort; " +
            "echo 1 > /proc/sys/net/ipv4/ip_forward; echo write=$?; ls /sys/class/net; " +
            "cd /sys/class/net/lo && cat address mtu operstate flags type ifindex carrier tx_queue_len statistics/rx_packets statistics/tx_bytes");
        Assert.Contains("inet 127.0.0.1/8 scope host lo", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("write=1", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void BusyboxHttpdServesWget()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, NewNetns, "sh", "-c",
            "mkdir /www && echo served > /www/index.html && httpd -p 127.0.0.1:8080 -h /www && " +
            "for i in 1 2 3; do wget -q -O - http://127.0.0.1:8080/index.html; done; " +
            "wget -q -O - http://127.0.0.1:8080/missing; echo missing=$?");
        Assert.Equal("served\nserved\nserved\nmissing=1\n", runc.Stdout);
    }

    [RootRequiredFact]
    public void NetSysctlsAreAppliedInTheNamespace()
    {
        void Config(JsonObject c)
        {
            NewNetns(c);
            c["linux"]!["sysctl"] = new JsonObject { ["net.ipv4.ip_forward"] = "1", ["net.ipv4.ping_group_range"] = "0 2147483647" };
        }

        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, Config, "sh", "-c",
            "cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/ping_group_range");
        Assert.Equal("1\n0\t2147483647\n", runc.Stdout);
    }

    [RootRequiredFact]
    public void NetSysctlInTheHostNamespaceIsRefused()
    {
        var result = fixture.Runner.RunUnder(ContainerRunner.Csrunsc, ["true"],
            editConfig: c => c["linux"]!["sysctl"] = new JsonObject { ["net.ipv4.ip_forward"] = "1" });
        DifferentialAssert.FailsWithOneLine(result, 1, "not allowed in host network namespace");
    }

    [RootRequiredTheory]
    [InlineData("/nonexistent/netns", "no such file or directory")]
    [InlineData("/proc/self/ns/ipc", "not a network namespace")]
    public void BadNetworkNamespacePathFailsCreate(string path, string cause)
    {
        var result = fixture.Runner.RunUnder(ContainerRunner.Csrunsc, ["true"],
            editConfig: c => ((JsonArray)c["linux"]!["namespaces"]!).Add((JsonNode)new JsonObject { ["type"] = "network", ["path"] = path }));
        DifferentialAssert.FailsWithOneLine(result, 1, cause);
        var reference = fixture.Runner.RunUnder(ContainerRunner.Runc, ["true"],
            editConfig: c => ((JsonArray)c["linux"]!["namespaces"]!).Add((JsonNode)new JsonObject { ["type"] = "network", ["path"] = path }));
        Assert.Equal(reference.ExitCode, result.ExitCode);
    }

    /// <summary>A seeded random pass over the socket calls: every call gets an answer, the Sentry survives.</summary>
    [RootRequiredTheory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void SocketFuzzEndsWithTheSentryAlive(int seed)
    {
        var result = fixture.Runner.RunUnder(ContainerRunner.Csrunsc, ["/bin/socket_fuzz", seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "20000"],
            editConfig: NewNetns);
        Assert.False(result.TimedOut, $"timed out:\n{result}");
        Assert.True(result.ExitCode == 0 && result.Stdout.Contains("socket_fuzz: done", StringComparison.Ordinal), result.ToString());
        Assert.DoesNotContain("Sentry bug", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.LeftBehind);
    }
}
