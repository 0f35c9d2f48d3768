using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>rename, renameat, renameat2 (flags 0 and RENAME_NOREPLACE).</summary>
internal static class SysRename
{
    private const uint RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2, RENAME_WHITEOUT = 4;

    public static long Rename(Task t, in SyscallArguments a) => RenameAt(t, Libc.AT_FDCWD, a.A0, Libc.AT_FDCWD, a.A1, 0);

    public static long RenameAtCall(Task t, in SyscallArguments a) => RenameAt(t, a.Int(0), a.A1, a.Int(2), a.A3, 0);

    public static long RenameAt2(Task t, in SyscallArguments a) => RenameAt(t, a.Int(0), a.A1, a.Int(2), a.A3, (uint)a.A4);

    private static long RenameAt(Task t, int oldDirFd, ulong oldAddr, int newDirFd, ulong newAddr, uint flags)
    {
        if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) != 0) return -Errno.EINVAL;
        if ((flags & (RENAME_EXCHANGE | RENAME_WHITEOUT)) != 0) return -Errno.EINVAL;
        int r = GuestPath.Read(t, oldAddr, out string oldPath);
        if (r < 0) return r;
        r = GuestPath.Read(t, newAddr, out string newPath);
        if (r < 0) return r;
        r = PathResolver.ResolveParent(t, oldDirFd, oldPath, out VfsPath? oldParent, out string oldName, out bool oldSlash);
        if (r < 0) return r;
        r = PathResolver.ResolveParent(t, newDirFd, newPath, out VfsPath? newParent, out string newName, out bool newSlash);
        if (r < 0) return r;
        if (GuestPath.IsDot(oldName) || GuestPath.IsDot(newName)) return -Errno.EBUSY;
        r = PathResolver.LookupChild(t, oldParent!, oldName, out VfsPath? source);
        if (r < 0) return r;
        if ((oldSlash || newSlash) && !source!.Inode.IsDirectory) return -Errno.ENOTDIR;
        if (!ReferenceEquals(source!.Mount, oldParent!.Mount)) return -Errno.EBUSY; // a mount point moves nowhere
        if (!ReferenceEquals(oldParent.Mount, newParent!.Mount)) return -Errno.EXDEV;
        r = PathResolver.LookupChild(t, newParent, newName, out VfsPath? target);
        if (r == 0)
        {
            if ((flags & RENAME_NOREPLACE) != 0) return -Errno.EEXIST;
            if (!ReferenceEquals(target!.Mount, newParent.Mount)) return -Errno.EBUSY;
            if (ReferenceEquals(target.Inode, source.Inode)) return 0;
        }
        else if (r != -Errno.ENOENT)
        {
            return r;
        }
        r = FilePermissions.CheckDirWrite(t, oldParent);
        if (r < 0) return r;
        if (!ReferenceEquals(oldParent.Inode, newParent.Inode))
        {
            r = FilePermissions.CheckDirWrite(t, newParent);
            if (r < 0) return r;
        }
        r = SysUnlink.CheckSticky(t, oldParent.Inode, source.Inode);
        if (r < 0) return r;
        bool replacedLastLink = target is not null && Vfs.Inotify.Fsnotify.Active &&
            (target.Inode.IsDirectory || (target.Inode.GetStat(out StatBuf tst) == 0 && tst.Nlink <= 1));
        r = oldParent.Inode.Rename(oldName, newParent.Inode, newName);
        if (r == 0) Vfs.Inotify.Fsnotify.Moved(oldParent.Inode, oldName, newParent.Inode, newName, source.Inode, target?.Inode, replacedLastLink);
        return r;
    }
}
