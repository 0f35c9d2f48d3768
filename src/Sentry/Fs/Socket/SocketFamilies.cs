using Csrunsc.Native;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Fs.Socket;

/// <summary>One address family's socket(2) and socketpair(2) (AF_UNIX, AF_INET, AF_NETLINK, ...).</summary>
public interface ISocketFamily
{
    /// <summary>type is without SOCK_NONBLOCK/SOCK_CLOEXEC; flags carries O_NONBLOCK. 0 or -errno (EPROTONOSUPPORT, ESOCKTNOSUPPORT, EPERM...).</summary>
    int Create(Task t, int type, int protocol, int flags, out SocketFile? socket);

    /// <summary>socketpair: two connected sockets, or -EOPNOTSUPP where the family has none.</summary>
    int CreatePair(Task t, int type, int protocol, int flags, out SocketFile? a, out SocketFile? b);
}

/// <summary>The families a sandbox serves, by AF_* number; unregistered ones answer EAFNOSUPPORT.</summary>
public sealed class SocketFamilies
{
    public const int AF_UNSPEC = 0, AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10, AF_NETLINK = 16, AF_PACKET = 17;
    private const int AfMax = 46;

    private readonly ISocketFamily?[] _families = new ISocketFamily?[AfMax];

    public void Register(int family, ISocketFamily impl) => _families[family] = impl;

    public ISocketFamily? Get(int family) => (uint)family < AfMax ? _families[family] : null;

    public int Create(Task t, int family, int type, int protocol, out SocketFile? socket)
    {
        socket = null;
        var impl = Get(family);
        if (impl is null) return -Errno.EAFNOSUPPORT;
        return impl.Create(t, type, protocol, 0, out socket);
    }
}
