using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Fs.Socket.Host;

/// <summary>
/// AF_INET and AF_INET6 over host sockets in the guest's namespace: TCP and UDP (and UDP-Lite),
/// ICMP datagram ("ping") sockets where the namespace's net.ipv4.ping_group_range admits the
/// caller's group, raw sockets only with CAP_NET_RAW (EPERM otherwise, as Linux).
/// </summary>
public sealed class HostInetFamily(HostNetwork network, int family) : ISocketFamily
{
    private const int IPPROTO_IP = 0, IPPROTO_ICMP = 1, IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_ICMPV6 = 58,
        IPPROTO_UDPLITE = 136, IPPROTO_MPTCP = 262;

    public int Create(Task t, int type, int protocol, int flags, out SocketFile? socket)
    {
        socket = null;
        switch (type)
        {
            case SocketFile.SOCK_STREAM:
                if (protocol is not (IPPROTO_IP or IPPROTO_TCP or IPPROTO_MPTCP)) return -Errno.EPROTONOSUPPORT;
                break;
            case SocketFile.SOCK_DGRAM:
                if (protocol is IPPROTO_ICMP or IPPROTO_ICMPV6)
                {
                    if ((protocol == IPPROTO_ICMP) != (family == Libc.AF_INET)) return -Errno.EPROTONOSUPPORT;
                    if (!PingAllowed(t)) return -Errno.EACCES;
                    break;
                }
                if (protocol is not (IPPROTO_IP or IPPROTO_UDP or IPPROTO_UDPLITE)) return -Errno.EPROTONOSUPPORT;
                break;
            case SocketFile.SOCK_RAW:
                if (!Capabilities.Has(t, Capabilities.NET_RAW)) return -Errno.EPERM;
                if (protocol is < 0 or > 255) return -Errno.EINVAL;
                break;
            default:
                return -Errno.ESOCKTNOSUPPORT;
        }
        int fd = network.Socket(family, type, protocol);
        if (fd < 0) return fd;
        socket = new HostSocket(fd, family, type, protocol, flags);
        return 0;
    }

    public int CreatePair(Task t, int type, int protocol, int flags, out SocketFile? a, out SocketFile? b)
    {
        a = b = null;
        return -Errno.EOPNOTSUPP;
    }

    /// <summary>net.ipv4.ping_group_range of the namespace: "low high" (Linux's default "1 0" admits nobody).</summary>
    private bool PingAllowed(Task t)
    {
        byte[]? range = network.ReadProc("sys/net/ipv4/ping_group_range");
        if (range is null) return false;
        var parts = System.Text.Encoding.ASCII.GetString(range).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2 || !long.TryParse(parts[0], out long low) || !long.TryParse(parts[1], out long high)) return false;
        var c = t.ThreadGroup.Creds;
        if (c.Egid >= low && c.Egid <= high) return true;
        foreach (uint g in c.Groups)
        {
            if (g >= low && g <= high) return true;
        }
        return false;
    }
}
