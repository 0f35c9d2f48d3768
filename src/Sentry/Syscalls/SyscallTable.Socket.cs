using Csrunsc.Sentry.Syscalls.Socket;

namespace Csrunsc.Sentry.Syscalls;

/// <summary>The socket calls; each family's gaps are in its own notes (see the family classes in Fs/Socket).</summary>
public static partial class SyscallTable
{
    private static void RegisterSocket()
    {
        Partial(41, "socket", SysSocket.Socket, "AF_INET/AF_INET6 (TCP, UDP, UDP-Lite, ping; raw with CAP_NET_RAW) and AF_NETLINK NETLINK_ROUTE over host sockets in the container's network namespace; AF_PACKET with CAP_NET_RAW (EPERM without); AF_UNIX in the Sentry: stream, datagram (SOCK_RAW = datagram), seqpacket; other families: EAFNOSUPPORT");
        Partial(53, "socketpair", SysSocket.Socketpair, "AF_UNIX all types; other families: EOPNOTSUPP or EAFNOSUPPORT");
        Partial(42, "connect", SysSocket.Connect,
            "AF_UNIX: a socket node made outside the sandbox (a host socket bind-mounted in) is not reachable: ECONNREFUSED");
        Full(43, "accept", SysSocket.Accept);
        Full(288, "accept4", SysSocket.Accept4);
        Full(49, "bind", SysSocket.Bind);
        Full(50, "listen", SysSocket.Listen);
        Partial(44, "sendto", SysSocketMessages.Sendto, "AF_UNIX: MSG_OOB answers EOPNOTSUPP");
        Partial(45, "recvfrom", SysSocketMessages.Recvfrom, "AF_UNIX: MSG_OOB answers EOPNOTSUPP");
        Partial(46, "sendmsg", SysSocketMessages.Sendmsg,
            "AF_UNIX: MSG_OOB answers EOPNOTSUPP; cmsgs SCM_RIGHTS, SCM_CREDENTIALS (others EINVAL; another pid/uid/gid with CAP_SYS_ADMIN/CAP_SETUID/CAP_SETGID)");
        Partial(47, "recvmsg", SysSocketMessages.Recvmsg,
            "AF_UNIX: MSG_OOB answers EOPNOTSUPP; delivers SCM_RIGHTS, SCM_CREDENTIALS, SCM_TIMESTAMP(NS) (no SCM_PIDFD/SCM_SECURITY)");
        Full(307, "sendmmsg", SysSocketMessages.Sendmmsg);
        Full(299, "recvmmsg", SysSocketMessages.Recvmmsg);
        Full(48, "shutdown", SysSocket.Shutdown);
        Full(51, "getsockname", SysSocket.Getsockname);
        Full(52, "getpeername", SysSocket.Getpeername);
        Partial(54, "setsockopt", SysSocket.Setsockopt,
            "AF_UNIX: SOL_SOCKET options; filters (SO_ATTACH_*), SO_PASSPIDFD, SO_TIMESTAMPING, SO_BINDTODEVICE, SO_INQ, busy polling: ENOPROTOOPT");
        Partial(55, "getsockopt", SysSocket.Getsockopt,
            "AF_UNIX: SOL_SOCKET options; SO_PEERGROUPS, SO_PEERPIDFD, SO_PEERSEC, SO_MEMINFO, SO_TIMESTAMPING: ENOPROTOOPT");
    }
}
