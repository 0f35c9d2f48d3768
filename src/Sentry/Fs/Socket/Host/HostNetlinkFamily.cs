using Csrunsc.Native;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Fs.Socket.Host;

/// <summary>
/// AF_NETLINK: NETLINK_ROUTE over a host netlink socket in the guest's namespace (so `ip addr`,
/// `ip route` and getaddrinfo's AI_ADDRCONFIG see the namespace's interfaces), with requests
/// filtered by <see cref="HostNetlinkSocket"/>. Other netlink protocols: EPROTONOSUPPORT.
/// </summary>
public sealed class HostNetlinkFamily(HostNetwork network) : ISocketFamily
{
    public int Create(Task t, int type, int protocol, int flags, out SocketFile? socket)
    {
        socket = null;
        if (type is not (SocketFile.SOCK_RAW or SocketFile.SOCK_DGRAM)) return -Errno.ESOCKTNOSUPPORT;
        if (protocol != Libc.NETLINK_ROUTE) return -Errno.EPROTONOSUPPORT;
        int fd = network.Socket(Libc.AF_NETLINK, type, protocol);
        if (fd < 0) return fd;
        socket = new HostNetlinkSocket(fd, type, protocol, flags);
        return 0;
    }

    public int CreatePair(Task t, int type, int protocol, int flags, out SocketFile? a, out SocketFile? b)
    {
        a = b = null;
        return -Errno.EOPNOTSUPP;
    }
}
