using Csrunsc.Native;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Socket;

/// <summary>
/// The socket calls that take a descriptor, while the Sentry has no sockets (socket() and
/// socketpair() fail): an open descriptor is never a socket, so they answer ENOTSOCK like Linux
/// does for a pipe or a file (git and gcc ask getpeername of their stdio), EBADF for a closed one.
/// </summary>
internal static class SysNotSocket
{
    public static long NotASocket(Task t, in SyscallArguments a) =>
        t.Fds.Get(a.Int(0)) is null ? -Errno.EBADF : -Errno.ENOTSOCK;
}
