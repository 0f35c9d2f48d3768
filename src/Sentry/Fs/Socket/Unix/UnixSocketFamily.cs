using Csrunsc.Native;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Fs.Socket.Unix;

/// <summary>
/// AF_UNIX: SOCK_STREAM, SOCK_DGRAM (SOCK_RAW is taken as SOCK_DGRAM, as Linux) and
/// SOCK_SEQPACKET sockets and socket pairs. Owns the state the family keeps per kernel: the
/// network namespace's abstract names and socket list (<see cref="Namespace"/>, replaceable so a
/// pod could share one) and the sockets bound to file-system nodes (<see cref="Paths"/>).
/// </summary>
public sealed class UnixSocketFamily : ISocketFamily
{
    /// <summary>PF_UNIX: the only protocol number besides 0 that socket(AF_UNIX) takes.</summary>
    private const int PfUnix = 1;

    public UnixNamespace Namespace { get; set; } = new();

    public UnixPathTable Paths { get; } = new();

    public int Create(Task t, int type, int protocol, int flags, out SocketFile? socket)
    {
        socket = null;
        int r = CheckType(ref type, protocol);
        if (r < 0) return r;
        socket = new UnixSocket(this, Namespace, type, flags);
        return 0;
    }

    public int CreatePair(Task t, int type, int protocol, int flags, out SocketFile? a, out SocketFile? b)
    {
        a = b = null;
        int r = CheckType(ref type, protocol);
        if (r < 0) return r;
        var sa = new UnixSocket(this, Namespace, type, flags);
        var sb = new UnixSocket(this, Namespace, type, flags);
        UnixSocket.Pair(t, sa, sb);
        a = sa;
        b = sb;
        return 0;
    }

    /// <summary>unix_create: protocol 0 or PF_UNIX (else EPROTONOSUPPORT); stream, datagram, raw (= datagram), seqpacket (else ESOCKTNOSUPPORT).</summary>
    private static int CheckType(ref int type, int protocol)
    {
        if (protocol != 0 && protocol != PfUnix) return -Errno.EPROTONOSUPPORT;
        switch (type)
        {
            case SocketFile.SOCK_STREAM:
            case SocketFile.SOCK_DGRAM:
            case SocketFile.SOCK_SEQPACKET:
                return 0;
            case SocketFile.SOCK_RAW:
                type = SocketFile.SOCK_DGRAM;
                return 0;
            default:
                return -Errno.ESOCKTNOSUPPORT;
        }
    }
}
