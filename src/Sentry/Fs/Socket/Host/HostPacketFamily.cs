using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Fs.Socket.Host;

/// <summary>AF_PACKET (raw and cooked packet sockets on the namespace's interfaces): only with CAP_NET_RAW, EPERM otherwise, as Linux.</summary>
public sealed class HostPacketFamily(HostNetwork network) : ISocketFamily
{
    public int Create(Task t, int type, int protocol, int flags, out SocketFile? socket)
    {
        socket = null;
        if (type is not (SocketFile.SOCK_RAW or SocketFile.SOCK_DGRAM or SocketFile.SOCK_PACKET)) return -Errno.ESOCKTNOSUPPORT;
        if (!Capabilities.Has(t, Capabilities.NET_RAW)) return -Errno.EPERM;
        int fd = network.Socket(Libc.AF_PACKET, type, protocol);
        if (fd < 0) return fd;
        socket = new HostSocket(fd, SocketFamilies.AF_PACKET, type, protocol, flags);
        return 0;
    }

    public int CreatePair(Task t, int type, int protocol, int flags, out SocketFile? a, out SocketFile? b)
    {
        a = b = null;
        return -Errno.EOPNOTSUPP;
    }
}
