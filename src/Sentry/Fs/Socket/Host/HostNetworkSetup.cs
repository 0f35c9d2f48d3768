using Csrunsc.Native;

namespace Csrunsc.Sentry.Fs.Socket.Host;

/// <summary>Connects a kernel to the guest's network namespace: the families it serves and the namespace's /proc views.</summary>
public static class HostNetworkSetup
{
    /// <summary>The namespace's /proc/net tables the guest may read (not its unix/netlink/packet lists: those name host objects).</summary>
    public static readonly string[] ProcNetFiles =
    [
        "dev", "tcp", "tcp6", "udp", "udp6", "udplite", "udplite6", "raw", "raw6", "icmp", "icmp6", "if_inet6", "route",
        "ipv6_route", "snmp", "snmp6", "netstat", "sockstat", "sockstat6", "igmp", "igmp6", "arp", "dev_mcast", "fib_trie",
        "protocols",
    ];

    public static void Install(Kernel.Kernel kernel, HostNetwork network)
    {
        kernel.Sockets.Register(SocketFamilies.AF_INET, new HostInetFamily(network, Libc.AF_INET));
        kernel.Sockets.Register(SocketFamilies.AF_INET6, new HostInetFamily(network, Libc.AF_INET6));
        kernel.Sockets.Register(SocketFamilies.AF_NETLINK, new HostNetlinkFamily(network));
        kernel.Sockets.Register(SocketFamilies.AF_PACKET, new HostPacketFamily(network));
        kernel.Network = network;
    }

    /// <summary>Adds the namespace's tables to a procfs's /proc/net.</summary>
    public static void AddProcFiles(Proc.ProcNetDirectory net, HostNetwork network)
    {
        foreach (string name in ProcNetFiles)
        {
            string path = "thread-self/net/" + name;
            net.AddFile(name, () => network.ReadProc(path));
        }
    }
}
