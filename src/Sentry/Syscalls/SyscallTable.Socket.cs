using Csrunsc.Sentry.Syscalls.Socket;

namespace Csrunsc.Sentry.Syscalls;

/// <summary>The socket calls; each family's gaps are in its own notes (see the family classes in Fs/Socket).</summary>
public static partial class SyscallTable
{
    private static void RegisterSocket()
    {
        Partial(41, "socket", SysSocket.Socket, "AF_INET/AF_INET6 (TCP, UDP, UDP-Lite, ping; raw with CAP_NET_RAW) and AF_NETLINK NETLINK_ROUTE over host sockets in the container's network namespace; AF_PACKET with CAP_NET_RAW (EPERM without); AF_UNIX: socket pairs only (socket(AF_UNIX): EAFNOSUPPORT); other families: EAFNOSUPPORT");
        Partial(53, "socketpair", SysSocket.Socketpair, "AF_UNIX SOCK_STREAM only (no datagram/seqpacket)");
        Full(42, "connect", SysSocket.Connect);
        Full(43, "accept", SysSocket.Accept);
        Full(288, "accept4", SysSocket.Accept4);
        Full(49, "bind", SysSocket.Bind);
        Full(50, "listen", SysSocket.Listen);
        Full(44, "sendto", SysSocketMessages.Sendto);
        Full(45, "recvfrom", SysSocketMessages.Recvfrom);
        Full(46, "sendmsg", SysSocketMessages.Sendmsg);
        Full(47, "recvmsg", SysSocketMessages.Recvmsg);
        Full(307, "sendmmsg", SysSocketMessages.Sendmmsg);
        Full(299, "recvmmsg", SysSocketMessages.Recvmmsg);
        Full(48, "shutdown", SysSocket.Shutdown);
        Full(51, "getsockname", SysSocket.Getsockname);
        Full(52, "getpeername", SysSocket.Getpeername);
        Full(54, "setsockopt", SysSocket.Setsockopt);
        Full(55, "getsockopt", SysSocket.Getsockopt);
    }
}
