using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Process;

/// <summary>
/// The set*id family with Linux's rules (kernel/sys.c): an unprivileged caller may only move among
/// its current real/effective/saved ids, CAP_SETUID (CAP_SETGID) lifts that; the fs id follows the
/// effective id; uid changes then adjust the capability sets (CapabilitySets.OnUidChange).
/// Credentials are per process here (glibc makes set*id process-wide anyway).
/// </summary>
internal static class SysCredentials
{
    private const uint Unchanged = uint.MaxValue;

    // Each call commits the new credentials (CredentialCommit: pdeath signal, dumpability).
    public static long SetUid(Task t, in SyscallArguments a) => Committed(t, SetUidCore, a);
    public static long SetReUid(Task t, in SyscallArguments a) => Committed(t, SetReUidCore, a);
    public static long SetResUid(Task t, in SyscallArguments a) => Committed(t, SetResUidCore, a);
    public static long SetGid(Task t, in SyscallArguments a) => Committed(t, SetGidCore, a);
    public static long SetReGid(Task t, in SyscallArguments a) => Committed(t, SetReGidCore, a);
    public static long SetResGid(Task t, in SyscallArguments a) => Committed(t, SetResGidCore, a);
    public static long SetFsUid(Task t, in SyscallArguments a) => Committed(t, SetFsUidCore, a);
    public static long SetFsGid(Task t, in SyscallArguments a) => Committed(t, SetFsGidCore, a);

    private delegate long Change(Task t, in SyscallArguments a);

    // make_kuid/make_kgid + uid_valid: an id without a mapping in the caller's user namespace is EINVAL (-1 never maps).
    private static bool UidValid(Task t, uint uid) => t.ThreadGroup.Container.Users.Uids.IsMapped(uid);
    private static bool GidValid(Task t, uint gid) => t.ThreadGroup.Container.Users.Gids.IsMapped(gid);
    private static bool UidOk(Task t, uint uid) => uid == Unchanged || UidValid(t, uid);
    private static bool GidOk(Task t, uint gid) => gid == Unchanged || GidValid(t, gid);

    private static long Committed(Task t, Change change, in SyscallArguments a)
    {
        var before = CredentialCommit.Snapshot(t.ThreadGroup.Creds);
        long r = change(t, a);
        CredentialCommit.Committed(t.ThreadGroup, in before);
        return r;
    }

    private static long SetUidCore(Task t, in SyscallArguments a)
    {
        uint uid = (uint)a.A0;
        if (!UidValid(t, uid)) return -Errno.EINVAL;
        var c = t.ThreadGroup.Creds;
        uint ou = c.Uid, oe = c.Euid, os = c.Suid;
        if (Capabilities.Has(t, Capabilities.SETUID)) c.Uid = c.Suid = uid;
        else if (uid != c.Uid && uid != c.Suid) return -Errno.EPERM;
        c.Euid = c.Fsuid = uid;
        c.Caps.OnUidChange(ou, oe, os, c.Uid, c.Euid, c.Suid);
        return 0;
    }

    private static long SetReUidCore(Task t, in SyscallArguments a)
    {
        uint ruid = (uint)a.A0, euid = (uint)a.A1;
        if (!UidOk(t, ruid) || !UidOk(t, euid)) return -Errno.EINVAL;
        var c = t.ThreadGroup.Creds;
        bool cap = Capabilities.Has(t, Capabilities.SETUID);
        if (ruid != Unchanged && ruid != c.Uid && ruid != c.Euid && !cap) return -Errno.EPERM;
        if (euid != Unchanged && euid != c.Uid && euid != c.Euid && euid != c.Suid && !cap) return -Errno.EPERM;
        uint ou = c.Uid, oe = c.Euid, os = c.Suid;
        if (ruid != Unchanged) c.Uid = ruid;
        if (euid != Unchanged) c.Euid = euid;
        if (ruid != Unchanged || (euid != Unchanged && euid != ou)) c.Suid = c.Euid;
        c.Fsuid = c.Euid;
        c.Caps.OnUidChange(ou, oe, os, c.Uid, c.Euid, c.Suid);
        return 0;
    }

    private static long SetResUidCore(Task t, in SyscallArguments a)
    {
        uint ruid = (uint)a.A0, euid = (uint)a.A1, suid = (uint)a.A2;
        if (!UidOk(t, ruid) || !UidOk(t, euid) || !UidOk(t, suid)) return -Errno.EINVAL;
        var c = t.ThreadGroup.Creds;
        if ((ruid == Unchanged || ruid == c.Uid) && (euid == Unchanged || euid == c.Euid) && (suid == Unchanged || suid == c.Suid))
            return 0;
        bool New(uint id) => id != Unchanged && id != c.Uid && id != c.Euid && id != c.Suid;
        if ((New(ruid) || New(euid) || New(suid)) && !Capabilities.Has(t, Capabilities.SETUID)) return -Errno.EPERM;
        uint ou = c.Uid, oe = c.Euid, os = c.Suid;
        if (ruid != Unchanged) c.Uid = ruid;
        if (euid != Unchanged) c.Euid = euid;
        if (suid != Unchanged) c.Suid = suid;
        c.Fsuid = c.Euid;
        c.Caps.OnUidChange(ou, oe, os, c.Uid, c.Euid, c.Suid);
        return 0;
    }

    private static long SetGidCore(Task t, in SyscallArguments a)
    {
        uint gid = (uint)a.A0;
        if (!GidValid(t, gid)) return -Errno.EINVAL;
        var c = t.ThreadGroup.Creds;
        if (Capabilities.Has(t, Capabilities.SETGID)) c.Gid = c.Sgid = gid;
        else if (gid != c.Gid && gid != c.Sgid) return -Errno.EPERM;
        c.Egid = c.Fsgid = gid;
        return 0;
    }

    private static long SetReGidCore(Task t, in SyscallArguments a)
    {
        uint rgid = (uint)a.A0, egid = (uint)a.A1;
        if (!GidOk(t, rgid) || !GidOk(t, egid)) return -Errno.EINVAL;
        var c = t.ThreadGroup.Creds;
        bool cap = Capabilities.Has(t, Capabilities.SETGID);
        if (rgid != Unchanged && rgid != c.Gid && rgid != c.Egid && !cap) return -Errno.EPERM;
        if (egid != Unchanged && egid != c.Gid && egid != c.Egid && egid != c.Sgid && !cap) return -Errno.EPERM;
        uint og = c.Gid;
        if (rgid != Unchanged) c.Gid = rgid;
        if (egid != Unchanged) c.Egid = egid;
        if (rgid != Unchanged || (egid != Unchanged && egid != og)) c.Sgid = c.Egid;
        c.Fsgid = c.Egid;
        return 0;
    }

    private static long SetResGidCore(Task t, in SyscallArguments a)
    {
        uint rgid = (uint)a.A0, egid = (uint)a.A1, sgid = (uint)a.A2;
        if (!GidOk(t, rgid) || !GidOk(t, egid) || !GidOk(t, sgid)) return -Errno.EINVAL;
        var c = t.ThreadGroup.Creds;
        if ((rgid == Unchanged || rgid == c.Gid) && (egid == Unchanged || egid == c.Egid) && (sgid == Unchanged || sgid == c.Sgid))
            return 0;
        bool New(uint id) => id != Unchanged && id != c.Gid && id != c.Egid && id != c.Sgid;
        if ((New(rgid) || New(egid) || New(sgid)) && !Capabilities.Has(t, Capabilities.SETGID)) return -Errno.EPERM;
        if (rgid != Unchanged) c.Gid = rgid;
        if (egid != Unchanged) c.Egid = egid;
        if (sgid != Unchanged) c.Sgid = sgid;
        c.Fsgid = c.Egid;
        return 0;
    }

    /// <summary>setfsuid: always returns the old fs uid; changes it to one of the caller's ids, or any with CAP_SETUID.</summary>
    private static long SetFsUidCore(Task t, in SyscallArguments a)
    {
        uint uid = (uint)a.A0;
        var c = t.ThreadGroup.Creds;
        uint old = c.Fsuid;
        if (!UidValid(t, uid)) return old;
        if (uid == c.Uid || uid == c.Euid || uid == c.Suid || uid == c.Fsuid || Capabilities.Has(t, Capabilities.SETUID))
        {
            if (uid != old)
            {
                c.Fsuid = uid;
                c.Caps.OnFsuidChange(old, uid);
            }
        }
        return old;
    }

    private static long SetFsGidCore(Task t, in SyscallArguments a)
    {
        uint gid = (uint)a.A0;
        var c = t.ThreadGroup.Creds;
        uint old = c.Fsgid;
        if (!GidValid(t, gid)) return old;
        if (gid == c.Gid || gid == c.Egid || gid == c.Sgid || gid == c.Fsgid || Capabilities.Has(t, Capabilities.SETGID))
            c.Fsgid = gid;
        return old;
    }

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

    public const int NGROUPS_MAX = 65536;

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
        int size = a.Int(0);
        if ((uint)size > NGROUPS_MAX) return -Errno.EINVAL;
        if (!Capabilities.Has(t, Capabilities.SETGID)) return -Errno.EPERM;
        var groups = new uint[size];
        for (int i = 0; i < size; i++)
        {
            if (t.ReadStruct(a.A1 + (ulong)(i * 4), out groups[i]) < 0) return -Errno.EFAULT;
            if (!GidValid(t, groups[i])) return -Errno.EINVAL;
        }
        Array.Sort(groups); // the kernel keeps them sorted (getgroups returns them so)
        t.ThreadGroup.Creds.Groups = groups;
        return 0;
    }
}
