using Csrunsc.Native;

namespace Csrunsc.Sentry.Vfs;

/// <summary>
/// A file in some filesystem of the Sentry. The Sentry's VFS resolves paths itself (one component
/// at a time through <see cref="Lookup"/>), so symlinks are always interpreted in the guest's view.
/// Every operation answers 0/positive or -errno; defaults answer the errno Linux gives for a file
/// that lacks the operation.
/// </summary>
public abstract class Inode
{
    /// <summary>The filesystem this inode belongs to (device number, read-only flag).</summary>
    public abstract FileSystem FileSystem { get; }

    /// <summary>st_mode: type and permission bits. Kept current by implementations.</summary>
    public abstract uint Mode { get; }

    public bool IsDirectory => FileMode.IsDir(Mode);

    /// <summary>The pages of this file's MAP_SHARED mappings while any exist (owned by Memory.SharedPages).</summary>
    internal Memory.SharedPages? SharedPages { get; set; }
    public bool IsSymlink => FileMode.IsSymlink(Mode);

    /// <summary>Descriptions open on this inode (inotify defers IN_DELETE_SELF of an unlinked file to the last close, as Linux's dentry reference does).</summary>
    internal int OpenDescriptions;

    /// <summary>Its last name was removed while the Sentry watched (inotify's IN_EXCL_UNLINK, Linux's d_unlinked).</summary>
    internal volatile bool NameRemoved;

    public abstract int GetStat(out StatBuf stat);

    /// <summary>Bits of <see cref="UnmappedIds"/>.</summary>
    public const int UnmappedUid = 1, UnmappedGid = 2;

    /// <summary>
    /// Which of the owner uid and gid have no mapping in the container's user namespace
    /// (<see cref="UnmappedUid"/>, <see cref="UnmappedGid"/>); only gofer files, which carry host
    /// ids, can have them (their stat shows 65534 then, and no caller's id matches it).
    /// </summary>
    public virtual int UnmappedIds => 0;

    /// <summary>
    /// privileged_wrt_inode_uidgid: owner uid and gid both mapped. A capability (DAC_OVERRIDE,
    /// CHOWN, FOWNER, ...) counts for an inode only then.
    /// </summary>
    public bool OwnerMapped => UnmappedIds == 0;

    /// <summary>uid_eq(inode->i_uid, id): an unmapped owner equals no id the guest can hold.</summary>
    public bool IsOwnedBy(uint uid, in StatBuf st) => st.Uid == uid && (UnmappedIds & UnmappedUid) == 0;

    /// <summary>gid_eq(inode->i_gid, id), likewise.</summary>
    public bool IsGroup(uint gid, in StatBuf st) => st.Gid == gid && (UnmappedIds & UnmappedGid) == 0;

    /// <summary>Finds a child of a directory; name is never empty, "." or "..".</summary>
    public virtual int Lookup(string name, out Inode? child)
    {
        child = null;
        return IsDirectory ? -Errno.ENOENT : -Errno.ENOTDIR;
    }

    /// <summary>All entries of a directory except "." and "..".</summary>
    public virtual int ReadDir(List<DirEntry> into) => IsDirectory ? 0 : -Errno.ENOTDIR;

    /// <summary>Opens this inode; flags are the guest's open flags (O_CREAT/O_EXCL already handled).</summary>
    public abstract int Open(int flags, out FileDescription? file);

    public virtual int ReadLink(out string? target)
    {
        target = null;
        return -Errno.EINVAL;
    }

    /// <summary>Creates a regular file and opens it.</summary>
    public virtual int Create(string name, int flags, uint mode, uint uid, uint gid, out Inode? child, out FileDescription? file)
    {
        child = null;
        file = null;
        return IsDirectory ? -Errno.EPERM : -Errno.ENOTDIR;
    }

    public virtual int Mkdir(string name, uint mode, uint uid, uint gid) => IsDirectory ? -Errno.EPERM : -Errno.ENOTDIR;
    public virtual int Mknod(string name, uint mode, ulong dev, uint uid, uint gid) => IsDirectory ? -Errno.EPERM : -Errno.ENOTDIR;
    public virtual int Symlink(string name, string target, uint uid, uint gid) => IsDirectory ? -Errno.EPERM : -Errno.ENOTDIR;
    public virtual int Link(string name, Inode target) => IsDirectory ? -Errno.EPERM : -Errno.ENOTDIR;

    /// <summary>Removes a non-directory (dir == false) or an empty directory (dir == true).</summary>
    public virtual int Unlink(string name, bool dir) => IsDirectory ? -Errno.EPERM : -Errno.ENOTDIR;

    /// <summary>Renames a child of this directory into newParent (same filesystem; checked by the caller).</summary>
    public virtual int Rename(string oldName, Inode newParent, string newName) => -Errno.EXDEV;

    public virtual int SetAttr(in SetAttrRequest request) => -Errno.EPERM;

    /// <summary>A stable identity for mount points and hard-link checks (dev, ino).</summary>
    public (ulong Dev, ulong Ino) Identity
    {
        get
        {
            GetStat(out StatBuf st);
            return (st.Dev, st.Ino);
        }
    }

    /// <summary>Extended attributes the filesystem keeps in memory (tmpfs); null where it stores none.</summary>
    public virtual XattrStore? Xattrs => null;

    /// <summary>
    /// A description that could write the file was closed: cached attributes (size, blocks,
    /// times) may be stale. Filesystems that cache them (the gofer's) refresh on the next stat.
    /// </summary>
    public virtual void ContentsMayHaveChanged()
    {
    }
}
