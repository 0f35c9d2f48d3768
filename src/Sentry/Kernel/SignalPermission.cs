namespace Csrunsc.Sentry.Kernel;

/// <summary>check_kill_permission: who may send a signal to whom.</summary>
public static class SignalPermission
{
    /// <summary>
    /// The same process; or the sender's real or effective uid is the target's real or saved uid;
    /// or CAP_KILL; or SIGCONT within the sender's session.
    /// </summary>
    public static bool MayKill(Task sender, ThreadGroup target, int sig)
    {
        var from = sender.ThreadGroup;
        if (from == target) return true;
        var c = from.Creds;
        var o = target.Creds;
        if (c.Euid == o.Suid || c.Euid == o.Uid || c.Uid == o.Suid || c.Uid == o.Uid) return true;
        if (c.Caps.Has(Capabilities.KILL)) return true;
        return sig == Native.Libc.SIGCONT && from.Sid == target.Sid;
    }
}
