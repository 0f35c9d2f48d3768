using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// A process's controlling terminal (Linux's signal->tty): inherited by fork, dropped by setsid, and
/// what /dev/tty opens: a Sentry pty's replica (the container's own terminal is one too, bridged to the caller's host pty).
/// </summary>
public interface IControllingTerminal
{
    /// <summary>Opens /dev/tty for the caller: a description of this terminal on the /dev/tty node.</summary>
    int OpenCurrentTty(Task task, Inode node, int flags, out FileDescription? file);

    /// <summary>The session leader that owns this terminal exited (disassociate_ctty(1): SIGHUP to the foreground group).</summary>
    void SessionLeaderExited(ThreadGroup leader);
}
