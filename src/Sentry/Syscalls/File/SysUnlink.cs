using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Socket;
using Csrunsc.Sentry.Fs.Socket.Unix;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>unlink, rmdir, unlinkat.</summary>
internal static class SysUnlink
{
    public static long Unlink(Task t, in SyscallArguments a) => UnlinkAt(t, Libc.AT_FDCWD, a.A0, 0);

    public static long RmDir(Task t, in SyscallArguments a) => UnlinkAt(t, Libc.AT_FDCWD, a.A0, Libc.AT_REMOVEDIR);

    public static long UnlinkAtCall(Task t, in SyscallArguments a) => UnlinkAt(t, a.Int(0), a.A1, a.Int(2));

    private static long UnlinkAt(Task t, int dirfd, ulong pathAddr, int flags)
    {
        if ((flags & ~Libc.AT_REMOVEDIR) != 0) return -Errno.EINVAL;
        bool dir = (flags & Libc.AT_REMOVEDIR) != 0;
        int r = GuestPath.Read(t, pathAddr, out string path);
        if (r < 0) return r;
        // The path ends at the root (LAST_ROOT): rmdir says EBUSY, unlink EISDIR.
        if (path.Length > 0 && path.AsSpan().TrimStart('/').IsEmpty) return dir ? -Errno.EBUSY : -Errno.EISDIR;
        r = PathResolver.ResolveParent(t, dirfd, path, out VfsPath? parent, out string name, out bool trailingSlash);
        if (r < 0) return r;
        if (name == ".") return dir ? -Errno.EINVAL : -Errno.EISDIR;
        if (name == "..") return dir ? -Errno.ENOTEMPTY : -Errno.EISDIR;
        r = PathResolver.LookupChild(t, parent!, name, out VfsPath? victim);
        if (r < 0) return r;
        if (dir)
        {
            if (!victim!.Inode.IsDirectory) return -Errno.ENOTDIR;
            if (!ReferenceEquals(victim.Mount, parent!.Mount)) return -Errno.EBUSY; // a mount point
            if (PathResolver.SameLocation(victim, t.Fs.Root)) return -Errno.EBUSY;
        }
        else
        {
            if (victim!.Inode.IsDirectory) return -Errno.EISDIR;
            if (trailingSlash) return -Errno.ENOTDIR;
        }
        r = FilePermissions.CheckDirWrite(t, parent!);
        if (r < 0) return r;
        r = CheckSticky(t, parent!.Inode, victim.Inode);
        if (r < 0) return r;
        bool lastSocketName = !dir && (victim.Inode.Mode & FileMode.TypeMask) == FileMode.Socket &&
            victim.Inode.GetStat(out StatBuf st) == 0 && st.Nlink <= 1;
        var identity = lastSocketName ? victim.Inode.Identity : default;
        bool lastLink = Vfs.Inotify.Fsnotify.Active && (dir || (victim.Inode.GetStat(out StatBuf vst) == 0 && vst.Nlink <= 1));
        r = parent.Inode.Unlink(name, dir);
        if (r == 0) Vfs.Inotify.Fsnotify.Removed(parent.Inode, name, victim.Inode, lastLink);
        // An AF_UNIX socket bound there can no longer be reached by path (it stays usable).
        if (r == 0 && lastSocketName && t.Kernel.Sockets.Get(SocketFamilies.AF_UNIX) is UnixSocketFamily unix) unix.Paths.Unlinked(identity);
        return r;
    }

    /// <summary>In a sticky directory only the owner of the entry or of the directory (or root) may remove it.</summary>
    internal static int CheckSticky(Task t, Inode dir, Inode victim)
    {
        if ((dir.Mode & 0x200 /*S_ISVTX*/) == 0) return 0;
        // check_sticky: the entry's owner, the directory's owner, or CAP_FOWNER over the entry (capable_wrt_inode_uidgid).
        if (FilePermissions.IsOwnerOrRoot(t, victim)) return 0;
        uint fsuid = t.ThreadGroup.Creds.Fsuid;
        return dir.GetStat(out StatBuf st) == 0 && dir.IsOwnedBy(fsuid, in st) ? 0 : -Errno.EPERM;
    }
}
