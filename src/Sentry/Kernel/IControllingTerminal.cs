using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// A process's controlling terminal (Linux's signal->tty): inherited by fork, dropped by setsid, and
/// what /dev/tty opens. A Sentry pty's replica, or the caller's host terminal handed to the sandbox.
/// </summary>
public interface IControllingTerminal
{
    /// <summary>Opens /dev/tty for the caller: a description of this terminal on the /dev/tty node.</summary>
    int OpenCurrentTty(Task task, Inode node, int flags, out FileDescription? file);

    /// <summary>The session leader that owns this terminal exited (disassociate_ctty(1): SIGHUP to the foreground group).</summary>
    void SessionLeaderExited(ThreadGroup leader);
}
