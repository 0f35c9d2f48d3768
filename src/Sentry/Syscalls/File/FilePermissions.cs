using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using Csrunsc.Sentry.Kernel;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>
/// Unix permission checks (generic_permission) for the guest's credentials. There is no capability
/// model: uid 0 may do everything except execute a file without any execute bit.
/// </summary>
internal static class FilePermissions
{
    public const int MayExec = 1, MayWrite = 2, MayRead = 4;

    /// <summary>0 or -EACCES for the access bits in may, with the filesystem (or, for access(2), the real) ids.</summary>
    public static int Check(Task t, Inode inode, int may, bool realIds = false)
    {
        if (may == 0) return 0;
        var creds = t.ThreadGroup.Creds;
        uint uid = realIds ? creds.Uid : creds.Fsuid;
        uint mode = inode.Mode;
        if (uid == 0)
        {
            if ((may & MayExec) != 0 && !FileMode.IsDir(mode) && (mode & 0x49 /*0111*/) == 0) return -Errno.EACCES;
            return 0;
        }
        int r = inode.GetStat(out StatBuf st);
        if (r < 0) return r;
        uint gid = realIds ? creds.Gid : creds.Fsgid;
        uint bits;
        if (uid == st.Uid) bits = (mode >> 6) & 7;
        else if (gid == st.Gid || InGroups(creds.Groups, st.Gid)) bits = (mode >> 3) & 7;
        else bits = mode & 7;
        return (bits & (uint)may) == (uint)may ? 0 : -Errno.EACCES;
    }

    /// <summary>Whether the caller owns the inode (or is root): chmod, utimes with explicit times.</summary>
    public static bool IsOwnerOrRoot(Task t, Inode inode)
    {
        uint uid = t.ThreadGroup.Creds.Fsuid;
        if (uid == 0) return true;
        return inode.GetStat(out StatBuf st) == 0 && st.Uid == uid;
    }

    public static bool IsRoot(Task t) => t.ThreadGroup.Creds.Euid == 0;

    /// <summary>Owner of a new file in dir: the caller's fs ids, the directory's group when it is set-group-id.</summary>
    public static void NewOwner(Task t, Inode dir, out uint uid, out uint gid)
    {
        var creds = t.ThreadGroup.Creds;
        uid = creds.Fsuid;
        gid = creds.Fsgid;
        if ((dir.Mode & 0x400 /*S_ISGID*/) != 0 && dir.GetStat(out StatBuf st) == 0) gid = st.Gid;
    }

    /// <summary>Checks that entries may be added to or removed from dir: EROFS, then write+search permission.</summary>
    public static int CheckDirWrite(Task t, VfsPath dir)
    {
        if (PathResolver.IsReadOnly(dir)) return -Errno.EROFS;
        return Check(t, dir.Inode, MayWrite | MayExec);
    }

    /// <summary>
    /// file_remove_privs before a write or truncate: a regular file loses set-user-id, and
    /// set-group-id when it has group execute or the caller is not in its group, unless the
    /// caller holds CAP_FSETID.
    /// </summary>
    public static void RemovePrivs(Task t, Inode? inode)
    {
        if (inode is null) return;
        uint mode = inode.Mode;
        if ((mode & 0xC00) == 0 || !FileMode.IsRegular(mode)) return;
        uint kill = mode & 0x800;
        if ((mode & 0x400) != 0)
        {
            if ((mode & 0x8) != 0) kill |= 0x400;
            else if (inode.GetStat(out StatBuf st) == 0 && !InGroup(t, st.Gid) && !Capabilities.Has(t, Capabilities.FSETID)) kill |= 0x400;
        }
        if (kill == 0 || Capabilities.Has(t, Capabilities.FSETID)) return;
        var req = new SetAttrRequest { Mask = SetAttrRequest.ModeBit, Mode = mode & 0xFFF & ~kill };
        inode.SetAttr(in req);
    }

    private static bool InGroup(Task t, uint gid)
    {
        var creds = t.ThreadGroup.Creds;
        return creds.Fsgid == gid || InGroups(creds.Groups, gid);
    }

    private static bool InGroups(uint[] groups, uint gid)
    {
        foreach (uint g in groups)
        {
            if (g == gid) return true;
        }
        return false;
    }
}
