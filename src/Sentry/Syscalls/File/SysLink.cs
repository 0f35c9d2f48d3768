using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>link, linkat, symlink, symlinkat.</summary>
internal static class SysLink
{
    public static long Link(Task t, in SyscallArguments a) => LinkAt(t, Libc.AT_FDCWD, a.A0, Libc.AT_FDCWD, a.A1, 0);

    public static long LinkAtCall(Task t, in SyscallArguments a) => LinkAt(t, a.Int(0), a.A1, a.Int(2), a.A3, a.Int(4));

    private static long LinkAt(Task t, int oldDirFd, ulong oldAddr, int newDirFd, ulong newAddr, int flags)
    {
        if ((flags & ~(Libc.AT_SYMLINK_FOLLOW | Libc.AT_EMPTY_PATH)) != 0) return -Errno.EINVAL;
        int r = GuestPath.Read(t, oldAddr, out string oldPath);
        if (r < 0) return r;
        VfsPath? source;
        if (oldPath.Length == 0 && (flags & Libc.AT_EMPTY_PATH) != 0)
        {
            if (!Capabilities.Has(t, Capabilities.DAC_READ_SEARCH)) return -Errno.ENOENT;
            r = GuestPath.OfFd(t, oldDirFd, out source);
        }
        else
        {
            r = PathResolver.Resolve(t, oldDirFd, oldPath, (flags & Libc.AT_SYMLINK_FOLLOW) != 0, out source);
        }
        if (r < 0) return r;
        if (source!.Inode.IsDirectory) return -Errno.EPERM;

        r = GuestPath.Read(t, newAddr, out string newPath);
        if (r < 0) return r;
        r = PathResolver.ResolveParent(t, newDirFd, newPath, out VfsPath? parent, out string name, out bool trailingSlash);
        if (r < 0) return r;
        if (GuestPath.IsDot(name)) return -Errno.EEXIST;
        if (PathResolver.LookupChild(t, parent!, name, out _) == 0) return -Errno.EEXIST;
        if (trailingSlash) return -Errno.ENOENT;
        if (!ReferenceEquals(parent!.Mount, source.Mount)) return -Errno.EXDEV;
        r = FilePermissions.CheckDirWrite(t, parent);
        if (r < 0) return r;
        r = MayLink(t, source.Inode);
        if (r < 0) return r;
        r = parent.Inode.Link(name, source.Inode);
        if (r == 0) Vfs.Inotify.Fsnotify.Linked(source.Inode, parent.Inode, name);
        return r;
    }

    /// <summary>
    /// fs.protected_hardlinks (1, as on Debian; may_linkat): who neither owns the file nor holds
    /// CAP_FOWNER may link only a safe source: a regular file, not setuid, not setgid-executable,
    /// that it may read and write. Else EPERM.
    /// </summary>
    private static int MayLink(Task t, Inode inode)
    {
        if (FilePermissions.IsOwnerOrRoot(t, inode)) return 0;
        uint mode = inode.Mode;
        if (!Vfs.FileMode.IsRegular(mode)) return -Errno.EPERM;
        if ((mode & 0x800) != 0) return -Errno.EPERM; // S_ISUID
        if ((mode & 0x408) == 0x408) return -Errno.EPERM; // S_ISGID with S_IXGRP
        return FilePermissions.Check(t, inode, FilePermissions.MayRead | FilePermissions.MayWrite) < 0 ? -Errno.EPERM : 0;
    }

    public static long Symlink(Task t, in SyscallArguments a) => SymlinkAt(t, a.A0, Libc.AT_FDCWD, a.A1);

    public static long SymlinkAtCall(Task t, in SyscallArguments a) => SymlinkAt(t, a.A0, a.Int(1), a.A2);

    private static long SymlinkAt(Task t, ulong targetAddr, int dirfd, ulong pathAddr)
    {
        int r = GuestPath.Read(t, targetAddr, out string target);
        if (r < 0) return r;
        if (target.Length == 0) return -Errno.ENOENT;
        r = GuestPath.Read(t, pathAddr, out string path);
        if (r < 0) return r;
        r = PathResolver.ResolveParent(t, dirfd, path, out VfsPath? parent, out string name, out bool trailingSlash);
        if (r < 0) return r;
        if (GuestPath.IsDot(name)) return -Errno.EEXIST;
        if (PathResolver.LookupChild(t, parent!, name, out _) == 0) return -Errno.EEXIST;
        if (trailingSlash) return -Errno.ENOENT;
        r = FilePermissions.CheckDirWrite(t, parent!);
        if (r < 0) return r;
        FilePermissions.NewOwner(t, parent!.Inode, out uint uid, out uint gid);
        r = parent.Inode.Symlink(name, target, uid, gid);
        if (r == 0) Vfs.Inotify.Fsnotify.Created(parent.Inode, name, isDir: false);
        return r;
    }
}
