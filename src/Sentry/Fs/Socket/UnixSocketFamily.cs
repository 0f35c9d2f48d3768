using Csrunsc.Native;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Fs.Socket;

/// <summary>AF_UNIX: connected stream pairs only so far.</summary>
public sealed class UnixSocketFamily : ISocketFamily
{
    public int Create(Task t, int type, int protocol, int flags, out SocketFile? socket)
    {
        socket = null;
        return -Errno.EAFNOSUPPORT;
    }

    public int CreatePair(Task t, int type, int protocol, int flags, out SocketFile? a, out SocketFile? b)
    {
        a = b = null;
        if (protocol != 0) return -Errno.EPROTONOSUPPORT;
        if (type != SocketFile.SOCK_STREAM) return -Errno.EOPNOTSUPP;
        UnixStreamSocket.CreatePair(flags, out var s0, out var s1);
        a = s0;
        b = s1;
        return 0;
    }
}
