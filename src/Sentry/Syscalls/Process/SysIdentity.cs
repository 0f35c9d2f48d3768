using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Process;

/// <summary>Ids: getpid, getuid, setpgid, setsid, umask (the set*id family: SysCredentials).</summary>
internal static class SysIdentity
{
    public static long GetPid(Task t, in SyscallArguments a) => t.ThreadGroup.Tgid;
    public static long GetTid(Task t, in SyscallArguments a) => t.Tid;
    public static long GetPpid(Task t, in SyscallArguments a) => t.ThreadGroup.Parent?.Tgid ?? 0;
    public static long GetUid(Task t, in SyscallArguments a) => t.ThreadGroup.Creds.Uid;
    public static long GetEuid(Task t, in SyscallArguments a) => t.ThreadGroup.Creds.Euid;
    public static long GetGid(Task t, in SyscallArguments a) => t.ThreadGroup.Creds.Gid;
    public static long GetEgid(Task t, in SyscallArguments a) => t.ThreadGroup.Creds.Egid;

    public static long GetPgid(Task t, in SyscallArguments a)
    {
        int pid = a.Int(0);
        var g = pid == 0 ? t.ThreadGroup : t.Kernel.Pids.GroupById(pid);
        return g is null ? -Errno.ESRCH : g.Pgid;
    }

    public static long GetPgrp(Task t, in SyscallArguments a) => t.ThreadGroup.Pgid;

    public static long SetPgid(Task t, in SyscallArguments a)
    {
        int pid = a.Int(0), pgid = a.Int(1);
        if (pgid < 0) return -Errno.EINVAL;
        var g = pid == 0 ? t.ThreadGroup : t.Kernel.Pids.GroupById(pid);
        if (g is null) return -Errno.ESRCH;
        if (g != t.ThreadGroup && g.Parent != t.ThreadGroup) return -Errno.ESRCH;
        if (g.Sid == g.Tgid) return -Errno.EPERM;
        if (g != t.ThreadGroup && g.Sid != t.ThreadGroup.Sid) return -Errno.EPERM;
        int target = pgid == 0 ? g.Tgid : pgid;
        if (target != g.Tgid)
        {
            // Joining a group: it must exist in the same session. An exited, unreaped member still
            // makes the group exist (Linux's pid_task(PIDTYPE_PGID) sees zombies): a shell's pipeline
            // `true | cat` puts cat into the group of a `true` that may have exited already.
            bool found = false;
            foreach (var other in t.Kernel.Pids.Groups())
                if (other.Pgid == target && other.Sid == t.ThreadGroup.Sid) { found = true; break; }
            if (!found) return -Errno.EPERM;
        }
        g.Pgid = target;
        return 0;
    }

    public static long GetSid(Task t, in SyscallArguments a)
    {
        int pid = a.Int(0);
        var g = pid == 0 ? t.ThreadGroup : t.Kernel.Pids.GroupById(pid);
        return g is null ? -Errno.ESRCH : g.Sid;
    }

    public static long SetSid(Task t, in SyscallArguments a)
    {
        var g = t.ThreadGroup;
        if (g.Pgid == g.Tgid) return -Errno.EPERM;
        g.Sid = g.Pgid = g.Tgid;
        g.Tty = null; // a new session has no controlling terminal
        return g.Tgid;
    }

    public static long Umask(Task t, in SyscallArguments a)
    {
        uint old = t.Fs.Umask;
        t.Fs.Umask = (uint)a.A0 & 0x1FF;
        return old;
    }
}
