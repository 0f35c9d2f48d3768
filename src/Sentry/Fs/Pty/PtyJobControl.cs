using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs.Pty;

/// <summary>
/// The replica as a controlling terminal (drivers/tty/tty_jobctrl.c): the session it belongs to, its
/// foreground process group, acquiring and giving it up, and the background checks that raise
/// SIGTTIN/SIGTTOU. Processes name it in <see cref="ThreadGroup.Tty"/>; ids are guest pids.
/// </summary>
public sealed partial class Pty : IControllingTerminal
{
    private int _session, _pgrp;

    /// <summary>The session the terminal controls (0: none) and its foreground group, for /proc and tests.</summary>
    public int Session
    {
        get { lock (_lock) return _session; }
    }

    /// <summary>
    /// __tty_check_change: a process of a background group using its controlling terminal gets sig
    /// sent to its group and the call restarts after it; EIO when the group is orphaned, or for
    /// SIGTTIN when the signal is ignored or blocked (SIGTTOU then lets the call go on).
    /// </summary>
    internal int CheckChange(Kernel.Task task, int sig)
    {
        var g = task.ThreadGroup;
        if (!ReferenceEquals(g.Tty, this)) return 0;
        int fg;
        lock (_lock) fg = _pgrp;
        if (fg == 0 || g.Pgid == fg) return 0;
        bool ignored = (task.SignalMask & Kernel.Task.Bit(sig)) != 0 || g.Handlers.Actions[sig].Handler == SigAction.SIG_IGN;
        if (ignored) return sig == Libc.SIGTTIN ? -Errno.EIO : 0;
        if (IsOrphaned(g.Pgid)) return -Errno.EIO;
        _kernel.SignalProcessGroup(g.Pgid, KernelSignal(sig));
        return -Errno.ERESTARTSYS;
    }

    /// <summary>A group is orphaned when no member has a parent in another group of the same session.</summary>
    private bool IsOrphaned(int pgid)
    {
        foreach (var g in _kernel.Pids.Groups())
        {
            if (g.Pgid != pgid || g.Zombie) continue;
            var p = g.Parent;
            if (p is not null && !p.Zombie && p.Pgid != pgid && p.Sid == g.Sid) return false;
        }
        return true;
    }

    /// <summary>tty_open_proc_set_tty: a session leader with no terminal opening a free one acquires it.</summary>
    private void AcquireOnOpen(Kernel.Task task)
    {
        var g = task.ThreadGroup;
        if (!g.IsSessionLeader || g.Tty is not null) return;
        lock (_lock)
        {
            if (_session != 0 || _hungUp) return;
            _session = g.Sid;
            _pgrp = g.Pgid;
        }
        g.Tty = this;
    }

    /// <summary>TIOCSCTTY: the caller (a session leader without a terminal) makes this its controlling terminal.</summary>
    internal int SetControlling(Kernel.Task task, FileDescription file, ulong arg)
    {
        var g = task.ThreadGroup;
        int stealFrom = 0;
        lock (_lock)
        {
            if (_hungUp) return -Errno.EIO;
            if (g.IsSessionLeader && _session == g.Sid) return 0;
            if (!g.IsSessionLeader || g.Tty is not null) return -Errno.EPERM;
            if (_session != 0)
            {
                if (arg != 1 || !Capabilities.Has(task, Capabilities.SYS_ADMIN)) return -Errno.EPERM;
                stealFrom = _session;
            }
            if (!file.Readable && !Capabilities.Has(task, Capabilities.SYS_ADMIN)) return -Errno.EPERM;
            _session = g.Sid;
            _pgrp = g.Pgid;
        }
        if (stealFrom != 0) ClearSessionTty(stealFrom);
        g.Tty = this;
        return 0;
    }

    /// <summary>TIOCNOTTY: the caller gives up its controlling terminal; a session leader hangs up the foreground group (SIGHUP, SIGCONT) and the whole session loses it.</summary>
    internal int GiveUp(Kernel.Task task)
    {
        var g = task.ThreadGroup;
        if (!ReferenceEquals(g.Tty, this)) return -Errno.ENOTTY;
        if (!g.IsSessionLeader)
        {
            g.Tty = null;
            return 0;
        }
        Disassociate(g, onExit: false);
        return 0;
    }

    /// <summary>disassociate_ctty: SIGHUP (and SIGCONT unless the leader is exiting) to the foreground group; the session forgets the terminal.</summary>
    private void Disassociate(ThreadGroup leader, bool onExit)
    {
        int fg, session;
        lock (_lock)
        {
            fg = _pgrp;
            session = _session;
            if (session == leader.Sid)
            {
                _session = 0;
                _pgrp = 0;
            }
        }
        if (fg != 0)
        {
            _kernel.SignalProcessGroup(fg, KernelSignal(Libc.SIGHUP));
            if (!onExit) _kernel.SignalProcessGroup(fg, KernelSignal(Libc.SIGCONT));
        }
        ClearSessionTty(leader.Sid);
    }

    private void ClearSessionTty(int sid)
    {
        foreach (var g in _kernel.Pids.Groups())
            if (g.Sid == sid && ReferenceEquals(g.Tty, this)) g.Tty = null;
    }

    /// <summary>TIOCGPGRP: the foreground group (0 if none); from the replica only for a process whose terminal it is.</summary>
    internal int GetForeground(Kernel.Task task, bool fromMaster, out int pgrp)
    {
        pgrp = 0;
        if (!fromMaster && !ReferenceEquals(task.ThreadGroup.Tty, this)) return -Errno.ENOTTY;
        lock (_lock) pgrp = _pgrp;
        return 0;
    }

    /// <summary>TIOCSPGRP: the caller's controlling terminal gets a new foreground group of the caller's session.</summary>
    internal int SetForeground(Kernel.Task task, int pgrp)
    {
        int r = CheckChange(task, Libc.SIGTTOU);
        if (r == -Errno.EIO) return -Errno.ENOTTY;
        if (r < 0) return r;
        var g = task.ThreadGroup;
        int session;
        lock (_lock) session = _session;
        if (!ReferenceEquals(g.Tty, this) || session != g.Sid) return -Errno.ENOTTY;
        if (pgrp < 0) return -Errno.EINVAL;
        ThreadGroup? member = null;
        foreach (var m in _kernel.Pids.Groups())
        {
            if (m.Pgid == pgrp) // a zombie member keeps the group, as find_vpid + session_of_pgrp in tiocspgrp
            {
                member = m;
                break;
            }
        }
        if (member is null) return -Errno.ESRCH;
        if (member.Sid != g.Sid) return -Errno.EPERM;
        lock (_lock) _pgrp = pgrp;
        return 0;
    }

    /// <summary>TIOCGSID: the session the terminal controls; ENOTTY if none (or, from the replica, if it is not the caller's terminal).</summary>
    internal int GetSession(Kernel.Task task, bool fromMaster, out int sid)
    {
        lock (_lock) sid = _session;
        if (!fromMaster && !ReferenceEquals(task.ThreadGroup.Tty, this)) return -Errno.ENOTTY;
        return sid == 0 ? -Errno.ENOTTY : 0;
    }

    /// <summary>Signals raised by the line discipline (a bit per signal number) to the foreground group.</summary>
    private void SignalForeground(int signals)
    {
        int fg;
        lock (_lock) fg = _pgrp;
        if (fg == 0) return;
        for (int sig = 1; sig < 32; sig++)
            if ((signals & (1 << sig)) != 0) _kernel.SignalProcessGroup(fg, KernelSignal(sig));
    }

    int IControllingTerminal.OpenCurrentTty(Kernel.Task task, Inode node, int flags, out FileDescription? file) =>
        OpenReplica(task, node, flags, viaDevTty: true, out file);

    void IControllingTerminal.SessionLeaderExited(ThreadGroup leader)
    {
        bool mine;
        lock (_lock) mine = _session == leader.Sid;
        if (mine) Disassociate(leader, onExit: true);
        else ClearSessionTty(leader.Sid);
    }
}
