using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>truncate, ftruncate, fallocate (every mode the file's filesystem has: tmpfs KEEP_SIZE and PUNCH_HOLE, gofer files what the host file has).</summary>
internal static class SysTruncate
{
    public static long Truncate(Task t, in SyscallArguments a)
    {
        long length = (long)a.A1;
        if (length < 0) return -Errno.EINVAL;
        int r = GuestPath.Read(t, a.A0, out string path);
        if (r < 0) return r;
        r = PathResolver.Resolve(t, Libc.AT_FDCWD, path, followFinal: true, out VfsPath? p);
        if (r < 0) return r;
        if (p!.Inode.IsDirectory) return -Errno.EISDIR;
        if (!Vfs.FileMode.IsRegular(p.Inode.Mode)) return -Errno.EINVAL;
        if (PathResolver.IsReadOnly(p)) return -Errno.EROFS;
        r = FilePermissions.Check(t, p.Inode, FilePermissions.MayWrite);
        if (r < 0) return r;
        r = FileSizeLimit(t, p.Inode.GetStat(out StatBuf st) == 0 ? st.Size : 0, length);
        if (r < 0) return r;
        var req = new SetAttrRequest { Mask = SetAttrRequest.SizeBit, Size = length };
        r = p.Inode.SetAttr(in req);
        if (r == 0)
        {
            Csrunsc.Sentry.Memory.SharedPages.AfterTruncate(p.Inode, length);
            Vfs.Inotify.Fsnotify.Changed(p.Inode, p, SetAttrRequest.SizeBit);
            FilePermissions.RemovePrivs(t, p.Inode, p);
        }
        return r;
    }

    public static long FTruncate(Task t, in SyscallArguments a)
    {
        long length = (long)a.A1;
        if (length < 0) return -Errno.EINVAL;
        var f = t.Fds.GetRef(a.Int(0));
        if (f is null) return -Errno.EBADF;
        try
        {
            if ((f.Flags & Libc.O_PATH) != 0) return -Errno.EBADF;
            if (!f.Writable) return -Errno.EINVAL;
            if (f.Inode is not null && !Vfs.FileMode.IsRegular(f.Inode.Mode)) return -Errno.EINVAL;
            int r = FileSizeLimit(t, f.Size, length);
            if (r < 0) return r;
            r = f.Truncate(length);
            if (r == 0 && f.Inode is not null)
            {
                Csrunsc.Sentry.Memory.SharedPages.AfterTruncate(f.Inode, length);
                Vfs.Inotify.Fsnotify.Changed(f.Inode, f.Location, SetAttrRequest.SizeBit | SetAttrRequest.MtimeBit);
                FilePermissions.RemovePrivs(t, f.Inode, f.Location);
            }
            return r;
        }
        finally
        {
            f.DecRef();
        }
    }

    private const int KeepSize = 1, PunchHole = 2, CollapseRange = 8, ZeroRange = 0x10, InsertRange = 0x20, UnshareRange = 0x40, WriteZeroes = 0x80;

    /// <summary>fallocate: vfs_fallocate's checks in its order, then the file's <see cref="FileDescription.Allocate"/>.</summary>
    public static long FAllocate(Task t, in SyscallArguments a)
    {
        int mode = a.Int(1);
        long offset = (long)a.A2, len = (long)a.A3;
        var f = t.Fds.GetRef(a.Int(0));
        if (f is null) return -Errno.EBADF;
        try
        {
            if ((f.Flags & Libc.O_PATH) != 0) return -Errno.EBADF;
            if (offset < 0 || len <= 0) return -Errno.EINVAL;
            // One operation, KEEP_SIZE where it means something (Linux 6.15's FALLOC_FL_MODE_MASK switch, the oracle's kernel).
            switch (mode & ~KeepSize)
            {
                case 0:
                case UnshareRange:
                case ZeroRange:
                    break;
                case PunchHole:
                    if ((mode & KeepSize) == 0) return -Errno.EOPNOTSUPP;
                    break;
                case CollapseRange:
                case InsertRange:
                case WriteZeroes:
                    if ((mode & KeepSize) != 0) return -Errno.EOPNOTSUPP;
                    break;
                default:
                    return -Errno.EOPNOTSUPP;
            }
            if (!f.Writable) return -Errno.EBADF;
            var inode = f.Inode;
            if (inode is not null && (inode.Mode & Vfs.FileMode.TypeMask) == Vfs.FileMode.Fifo) return -Errno.ESPIPE;
            if (inode is not null && inode.IsDirectory) return -Errno.EISDIR;
            if (inode is null || !Vfs.FileMode.IsRegular(inode.Mode)) return -Errno.ENODEV;
            long end = offset + len;
            if (end < 0) return -Errno.EFBIG;
            if ((mode & (KeepSize | PunchHole | CollapseRange)) == 0)
            {
                int r0 = FileSizeLimit(t, f.Size, end);
                if (r0 < 0) return r0;
            }
            int r = f.Allocate(mode, offset, len);
            if (r == 0) Vfs.Inotify.Fsnotify.Modified(f);
            return r;
        }
        finally
        {
            f.DecRef();
        }
    }

    /// <summary>RLIMIT_FSIZE applies when a file grows past it (inode_newsize_ok): EFBIG and SIGXFSZ.</summary>
    private static int FileSizeLimit(Task t, long size, long newSize) =>
        newSize > size ? Kernel.Rlimits.CheckTruncate(t, newSize) : 0;
}
