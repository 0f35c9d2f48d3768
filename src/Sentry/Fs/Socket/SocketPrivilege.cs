using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Fs.Socket;

/// <summary>
/// capable(CAP_...) for the socket code: the one place that decides whether the caller holds a
/// capability. There is no capability model yet, so euid 0 holds them all; the capability work
/// replaces the body of <see cref="Capable"/>.
/// </summary>
public static class SocketPrivilege
{
    public const int CAP_SETGID = 6, CAP_SETUID = 7, CAP_NET_ADMIN = 12, CAP_NET_RAW = 13, CAP_SYS_ADMIN = 21;

    public static bool Capable(Task t, int capability) => t.ThreadGroup.Creds.Euid == 0;
}
