using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>
/// Unix permission checks (generic_permission) for the guest's credentials, overridden by
/// CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH as in Linux; ownership checks with CAP_FOWNER.
/// </summary>
internal static class FilePermissions
{
    public const int MayExec = 1, MayWrite = 2, MayRead = 4;

    /// <summary>
    /// The devices controller's answer for opening (may: MayRead/MayWrite) or making (mknod) a
    /// device node: 0, or -EPERM when the container's linux.resources.devices denies it
    /// (devcgroup_inode_permission / devcgroup_inode_mknod). Other file types always pass.
    /// </summary>
    public static int CheckDevice(Task t, uint type, ulong rdev, int may, bool mknod = false)
    {
        if (type is not (FileMode.CharDevice or FileMode.Block)) return 0;
        int access = (mknod ? DeviceRule.Mknod : 0) | ((may & MayRead) != 0 ? DeviceRule.Read : 0) | ((may & MayWrite) != 0 ? DeviceRule.Write : 0);
        return t.ThreadGroup.Container.Devices.Permits(type, Fs.DeviceNumber.Major(rdev), Fs.DeviceNumber.Minor(rdev), access) ? 0 : -Errno.EPERM;
    }

    /// <summary>
    /// 0 or -EACCES for the access bits in may, with the filesystem ids and effective capabilities
    /// (or, for access(2), the real ids and the capabilities Linux gives them: permitted for uid 0, none otherwise).
    /// </summary>
    public static int Check(Task t, Inode inode, int may, bool realIds = false)
    {
        if (may == 0) return 0;
        var creds = t.ThreadGroup.Creds;
        uint uid = realIds ? creds.Uid : creds.Fsuid;
        ulong caps = !realIds ? creds.Caps.Effective
            : creds.Uid == 0 && (creds.Caps.Securebits & CapabilitySets.SECBIT_NO_SETUID_FIXUP) == 0 ? creds.Caps.Permitted
            : (creds.Caps.Securebits & CapabilitySets.SECBIT_NO_SETUID_FIXUP) != 0 ? creds.Caps.Effective : 0;
        // capable_wrt_inode_uidgid: no override for a file whose owner has no mapping in the user namespace.
        if (caps != 0 && !inode.OwnerMapped) caps = 0;
        uint mode = inode.Mode;
        bool dacOverride = (caps & (1UL << Capabilities.DAC_OVERRIDE)) != 0;
        bool readSearch = (caps & (1UL << Capabilities.DAC_READ_SEARCH)) != 0;
        // DAC_OVERRIDE grants all but executing a file without any execute bit: no need to look at the owner.
        if (dacOverride && ((may & MayExec) == 0 || FileMode.IsDir(mode) || (mode & 0x49 /*0111*/) != 0)) return 0;
        int r = inode.GetStat(out StatBuf st);
        if (r < 0) return r;
        uint gid = realIds ? creds.Gid : creds.Fsgid;
        uint bits;
        int unmapped = inode.UnmappedIds;
        if (uid == st.Uid && (unmapped & Inode.UnmappedUid) == 0) bits = (mode >> 6) & 7;
        else if ((unmapped & Inode.UnmappedGid) == 0 && (gid == st.Gid || InGroups(creds.Groups, st.Gid))) bits = (mode >> 3) & 7;
        else bits = mode & 7;
        if ((bits & (uint)may) == (uint)may) return 0;
        if (FileMode.IsDir(mode))
        {
            // Directories: read and search are overridable by either, write only by DAC_OVERRIDE.
            if ((may & MayWrite) == 0 && readSearch) return 0;
            return dacOverride ? 0 : -Errno.EACCES;
        }
        if (may == MayRead && readSearch) return 0;
        // Executing needs at least one execute bit even with DAC_OVERRIDE.
        if (((may & MayExec) == 0 || (mode & 0x49 /*0111*/) != 0) && dacOverride) return 0;
        return -Errno.EACCES;
    }

    /// <summary>inode_owner_or_capable: the caller's fsuid owns the inode, or it holds CAP_FOWNER (chmod, utimes, sticky).</summary>
    public static bool IsOwnerOrRoot(Task t, Inode inode)
    {
        if (Capabilities.Has(t, Capabilities.FOWNER) && inode.OwnerMapped) return true;
        uint uid = t.ThreadGroup.Creds.Fsuid;
        return inode.GetStat(out StatBuf st) == 0 && inode.IsOwnedBy(uid, in st);
    }

    /// <summary>in_group_p: the fsgid or a supplementary group.</summary>
    public static bool InGroup(Task t, uint gid)
    {
        var c = t.ThreadGroup.Creds;
        return gid == c.Fsgid || InGroups(c.Groups, gid);
    }

    /// <summary>Owner of a new file in dir: the caller's fs ids, the directory's group when it is set-group-id.</summary>
    public static void NewOwner(Task t, Inode dir, out uint uid, out uint gid)
    {
        var creds = t.ThreadGroup.Creds;
        uid = creds.Fsuid;
        gid = creds.Fsgid;
        // A group the user namespace does not map has no container id: IdMap.Invalid asks the
        // directory's filesystem for the directory's own (host) group (GoferInode).
        if ((dir.Mode & 0x400 /*S_ISGID*/) != 0 && dir.GetStat(out StatBuf st) == 0)
            gid = (dir.UnmappedIds & Inode.UnmappedGid) != 0 ? IdMap.Invalid : st.Gid;
    }

    /// <summary>
    /// Checks that a new entry may be made in dir: proc's lookups of missing names fail with
    /// ENOENT before anything else is looked at (so creating there is ENOENT, not EROFS/EACCES);
    /// elsewhere <see cref="CheckDirWrite"/>.
    /// </summary>
    public static int CheckCreate(Task t, VfsPath dir) =>
        dir.Inode.FileSystem.Type == "proc" ? -Errno.ENOENT : CheckDirWrite(t, dir);

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
    public static void RemovePrivs(Task t, Inode? inode, VfsPath? location = null)
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
        if (inode.SetAttr(in req) == 0) Vfs.Inotify.Fsnotify.Changed(inode, location, req.Mask);
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
