using Csrunsc.Native;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Process;

/// <summary>Ids and credentials: getpid, getuid, setpgid, ...</summary>
internal static class SysIdentity
{
    public static long GetPid(Task t, in SyscallArguments a) => t.ThreadGroup.Tgid;
    public static long GetTid(Task t, in SyscallArguments a) => t.Tid;
    public static long GetPpid(Task t, in SyscallArguments a) => t.ThreadGroup.Parent?.Tgid ?? 0;
    public static long GetUid(Task t, in SyscallArguments a) => t.ThreadGroup.Creds.Uid;
    public static long GetEuid(Task t, in SyscallArguments a) => t.ThreadGroup.Creds.Euid;
    public static long GetGid(Task t, in SyscallArguments a) => t.ThreadGroup.Creds.Gid;
    public static long GetEgid(Task t, in SyscallArguments a) => t.ThreadGroup.Creds.Egid;

    public static long SetUid(Task t, in SyscallArguments a)
    {
        var c = t.ThreadGroup.Creds;
        uint uid = (uint)a.A0;
        if (c.Euid != 0 && uid != c.Uid && uid != c.Suid) return -Errno.EPERM;
        if (c.Euid == 0) c.Uid = c.Suid = uid;
        c.Euid = c.Fsuid = uid;
        return 0;
    }

    public static long SetGid(Task t, in SyscallArguments a)
    {
        var c = t.ThreadGroup.Creds;
        uint gid = (uint)a.A0;
        if (c.Euid != 0 && gid != c.Gid && gid != c.Sgid) return -Errno.EPERM;
        if (c.Euid == 0) c.Gid = c.Sgid = gid;
        c.Egid = c.Fsgid = gid;
        return 0;
    }

    public static long SetResUid(Task t, in SyscallArguments a)
    {
        var c = t.ThreadGroup.Creds;
        if (c.Euid != 0) return -Errno.EPERM;
        if ((int)a.A0 != -1) c.Uid = (uint)a.A0;
        if ((int)a.A1 != -1) c.Euid = c.Fsuid = (uint)a.A1;
        if ((int)a.A2 != -1) c.Suid = (uint)a.A2;
        return 0;
    }

    public static long SetResGid(Task t, in SyscallArguments a)
    {
        var c = t.ThreadGroup.Creds;
        if (c.Euid != 0) return -Errno.EPERM;
        if ((int)a.A0 != -1) c.Gid = (uint)a.A0;
        if ((int)a.A1 != -1) c.Egid = c.Fsgid = (uint)a.A1;
        if ((int)a.A2 != -1) c.Sgid = (uint)a.A2;
        return 0;
    }

    public static long SetReUid(Task t, in SyscallArguments a) =>
        SetResUid(t, new SyscallArguments(a.A0, a.A1, ulong.MaxValue, 0, 0, 0));

    public static long SetReGid(Task t, in SyscallArguments a) =>
        SetResGid(t, new SyscallArguments(a.A0, a.A1, ulong.MaxValue, 0, 0, 0));

    public static long GetResUid(Task t, in SyscallArguments a)
    {
        var c = t.ThreadGroup.Creds;
        if (t.WriteStruct(a.A0, c.Uid) < 0 || t.WriteStruct(a.A1, c.Euid) < 0 || t.WriteStruct(a.A2, c.Suid) < 0) return -Errno.EFAULT;
        return 0;
    }

    public static long GetResGid(Task t, in SyscallArguments a)
    {
        var c = t.ThreadGroup.Creds;
        if (t.WriteStruct(a.A0, c.Gid) < 0 || t.WriteStruct(a.A1, c.Egid) < 0 || t.WriteStruct(a.A2, c.Sgid) < 0) return -Errno.EFAULT;
        return 0;
    }

    public static long SetFsUid(Task t, in SyscallArguments a)
    {
        var c = t.ThreadGroup.Creds;
        uint old = c.Fsuid;
        if (c.Euid == 0) c.Fsuid = (uint)a.A0;
        return old;
    }

    public static long SetFsGid(Task t, in SyscallArguments a)
    {
        var c = t.ThreadGroup.Creds;
        uint old = c.Fsgid;
        if (c.Euid == 0) c.Fsgid = (uint)a.A0;
        return old;
    }

    public static long GetGroups(Task t, in SyscallArguments a)
    {
        var groups = t.ThreadGroup.Creds.Groups;
        int size = a.Int(0);
        if (size < 0) return -Errno.EINVAL;
        if (size == 0) return groups.Length;
        if (size < groups.Length) return -Errno.EINVAL;
        for (int i = 0; i < groups.Length; i++)
            if (t.WriteStruct(a.A1 + (ulong)(i * 4), groups[i]) < 0) return -Errno.EFAULT;
        return groups.Length;
    }

    public static long SetGroups(Task t, in SyscallArguments a)
    {
        var c = t.ThreadGroup.Creds;
        if (c.Euid != 0) return -Errno.EPERM;
        int size = a.Int(0);
        if (size < 0 || size > 65536) return -Errno.EINVAL;
        var groups = new uint[size];
        for (int i = 0; i < size; i++)
            if (t.ReadStruct(a.A1 + (ulong)(i * 4), out groups[i]) < 0) return -Errno.EFAULT;
        c.Groups = groups;
        return 0;
    }

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
        g.Pgid = pgid == 0 ? g.Tgid : pgid;
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

    public static long Capget(Task t, in SyscallArguments a)
    {
        // Version 3 header; root in the sandbox holds the full set, others none.
        if (a.A1 == 0) return 0;
        uint full = t.ThreadGroup.Creds.Euid == 0 ? uint.MaxValue : 0;
        Span<uint> data = stackalloc uint[6];
        data[0] = data[1] = full; data[3] = data[4] = full == 0 ? 0u : 0x1FFu;
        data[2] = data[5] = 0;
        return t.CopyOut(a.A1, System.Runtime.InteropServices.MemoryMarshal.AsBytes(data)) < 0 ? -Errno.EFAULT : 0;
    }
}
