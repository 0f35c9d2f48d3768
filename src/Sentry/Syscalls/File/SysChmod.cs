using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>chmod, fchmod, fchmodat, chown, fchown, lchown, fchownat.</summary>
internal static class SysChmod
{
    public static long Chmod(Task t, in SyscallArguments a) => ChmodAt(t, Libc.AT_FDCWD, a.A0, (uint)a.A1);

    /// <summary>fchmodat has no flags argument (fchmodat2 adds one).</summary>
    public static long FChmodAt(Task t, in SyscallArguments a) => ChmodAt(t, a.Int(0), a.A1, (uint)a.A2);

    public static long FChmod(Task t, in SyscallArguments a)
    {
        // A description with no path (a socket, a pipe) changes its own inode.
        if (t.Fds.Get(a.Int(0)) is { Location: null, Inode: { } inode } anon && (anon.Flags & Libc.O_PATH) == 0)
            return SetMode(t, inode, null, readOnly: false, (uint)a.A1);
        int r = GuestPath.OfFd(t, a.Int(0), out VfsPath? p);
        if (r < 0) return r;
        if (t.Fds.Get(a.Int(0)) is { } f && (f.Flags & Libc.O_PATH) != 0) return -Errno.EBADF;
        return SetMode(t, p!, (uint)a.A1);
    }

    private static long ChmodAt(Task t, int dirfd, ulong pathAddr, uint mode)
    {
        int r = GuestPath.ResolveAt(t, dirfd, pathAddr, 0, out VfsPath? p);
        if (r < 0) return r;
        return SetMode(t, p!, mode);
    }

    private static long SetMode(Task t, VfsPath p, uint mode) => SetMode(t, p.Inode, p, PathResolver.IsReadOnly(p), mode);

    private static long SetMode(Task t, Inode inode, VfsPath? location, bool readOnly, uint mode)
    {
        if (readOnly) return -Errno.EROFS;
        if (!FilePermissions.IsOwnerOrRoot(t, inode)) return -Errno.EPERM;
        // Set-group-id needs the file's group among the caller's, or CAP_FSETID (else it is dropped silently).
        if ((mode & 0x400) != 0 && !(Capabilities.Has(t, Capabilities.FSETID) && inode.OwnerMapped)
            && inode.GetStat(out StatBuf st) == 0 && !FilePermissions.InGroup(t, st.Gid)) mode &= ~0x400u;
        var req = new SetAttrRequest { Mask = SetAttrRequest.ModeBit, Mode = mode & 0xFFF };
        int r = inode.SetAttr(in req);
        if (r == 0) Vfs.Inotify.Fsnotify.Changed(inode, location, req.Mask);
        return r;
    }

    public static long Chown(Task t, in SyscallArguments a) => ChownAt(t, Libc.AT_FDCWD, a.A0, (uint)a.A1, (uint)a.A2, 0);

    public static long LChown(Task t, in SyscallArguments a) =>
        ChownAt(t, Libc.AT_FDCWD, a.A0, (uint)a.A1, (uint)a.A2, Libc.AT_SYMLINK_NOFOLLOW);

    public static long FChownAt(Task t, in SyscallArguments a) => ChownAt(t, a.Int(0), a.A1, (uint)a.A2, (uint)a.A3, a.Int(4));

    public static long FChown(Task t, in SyscallArguments a)
    {
        if (t.Fds.Get(a.Int(0)) is { Location: null, Inode: { } inode } anon && (anon.Flags & Libc.O_PATH) == 0)
            return SetOwner(t, inode, null, readOnly: false, (uint)a.A1, (uint)a.A2);
        int r = GuestPath.OfFd(t, a.Int(0), out VfsPath? p);
        if (r < 0) return r;
        if (t.Fds.Get(a.Int(0)) is { } f && (f.Flags & Libc.O_PATH) != 0) return -Errno.EBADF;
        return SetOwner(t, p!, (uint)a.A1, (uint)a.A2);
    }

    private static long ChownAt(Task t, int dirfd, ulong pathAddr, uint uid, uint gid, int flags)
    {
        if ((flags & ~(Libc.AT_SYMLINK_NOFOLLOW | Libc.AT_EMPTY_PATH)) != 0) return -Errno.EINVAL;
        int r = GuestPath.ResolveAt(t, dirfd, pathAddr, flags, out VfsPath? p);
        if (r < 0) return r;
        return SetOwner(t, p!, uid, gid);
    }

    /// <summary>uid/gid of uint.MaxValue (-1) leave that id unchanged.</summary>
    private static long SetOwner(Task t, VfsPath p, uint uid, uint gid) => SetOwner(t, p.Inode, p, PathResolver.IsReadOnly(p), uid, gid);

    private static long SetOwner(Task t, Inode inode, VfsPath? location, bool readOnly, uint uid, uint gid)
    {
        if (readOnly) return -Errno.EROFS;
        // chown_common: an id the caller's user namespace does not map is EINVAL.
        var users = t.ThreadGroup.Container.Users;
        if ((uid != uint.MaxValue && !users.Uids.IsMapped(uid)) || (gid != uint.MaxValue && !users.Gids.IsMapped(gid))) return -Errno.EINVAL;
        var creds = t.ThreadGroup.Creds;
        int r = inode.GetStat(out StatBuf st);
        if (r < 0) return r;
        // chown_ok/chgrp_ok: CAP_CHOWN counts only for a file whose owner the namespace maps (capable_wrt_inode_uidgid).
        if (!(Capabilities.Has(t, Capabilities.CHOWN) && inode.OwnerMapped))
        {
            // chown_ok / chgrp_ok: only the owner, keeping the owner, giving the file to one of its groups.
            bool owner = inode.IsOwnedBy(creds.Fsuid, in st);
            if (uid != uint.MaxValue && (uid != st.Uid || !owner)) return -Errno.EPERM;
            if (gid != uint.MaxValue && (!owner || (!inode.IsGroup(gid, in st) && !FilePermissions.InGroup(t, gid)))) return -Errno.EPERM;
        }
        var req = new SetAttrRequest();
        if (uid != uint.MaxValue)
        {
            req.Mask |= SetAttrRequest.UidBit;
            req.Uid = uid;
        }
        if (gid != uint.MaxValue)
        {
            req.Mask |= SetAttrRequest.GidBit;
            req.Gid = gid;
        }
        // Changing the owner of a non-directory clears set-user-id and (with group execute) set-group-id.
        if (req.Mask != 0 && !inode.IsDirectory && !inode.IsSymlink && (st.Mode & 0xC00) != 0)
        {
            uint mode = st.Mode & 0xFFF & ~0x800u;
            if ((st.Mode & 0x8) != 0) mode &= ~0x400u;
            if (mode != (st.Mode & 0xFFF))
            {
                req.Mask |= SetAttrRequest.ModeBit;
                req.Mode = mode;
            }
        }
        if (req.Mask == 0) return 0;
        r = inode.SetAttr(in req);
        if (r == 0) Vfs.Inotify.Fsnotify.Changed(inode, location, req.Mask);
        return r;
    }
}
