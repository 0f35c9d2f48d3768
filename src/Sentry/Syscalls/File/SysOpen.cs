using Csrunsc.Native;
using Csrunsc.Sentry.Fs;
using Csrunsc.Sentry.Vfs;
using Csrunsc.Sentry.Vfs.Inotify;
using Task = Csrunsc.Sentry.Kernel.Task;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>open, openat, creat, close, close_range.</summary>
internal static class SysOpen
{
    /// <summary>Flags O_PATH keeps; every other one is ignored with it.</summary>
    private const int PathFlags = Libc.O_PATH | Libc.O_CLOEXEC | Libc.O_DIRECTORY | Libc.O_NOFOLLOW;

    public static long Open(Task t, in SyscallArguments a) => OpenAt(t, Libc.AT_FDCWD, a.A0, a.Int(1), (uint)a.A2);

    public static long OpenAtCall(Task t, in SyscallArguments a) => OpenAt(t, a.Int(0), a.A1, a.Int(2), (uint)a.A3);

    public static long Creat(Task t, in SyscallArguments a) =>
        OpenAt(t, Libc.AT_FDCWD, a.A0, Libc.O_CREAT | Libc.O_WRONLY | Libc.O_TRUNC, (uint)a.A1);

    public static long OpenAt(Task t, int dirfd, ulong pathAddr, int flags, uint mode)
    {
        int r = GuestPath.Read(t, pathAddr, out string path);
        if (r < 0) return r;
        return OpenPath(t, dirfd, path, flags, mode);
    }

    /// <summary>The whole of openat once the path is in the Sentry: returns the new fd or -errno.</summary>
    public static long OpenPath(Task t, int dirfd, string path, int flags, uint mode)
    {
        if ((flags & Libc.O_TMPFILE) == Libc.O_TMPFILE) return OpenTmpFile(t, dirfd, path, flags, mode);
        if ((flags & Libc.O_PATH) != 0) flags &= PathFlags;
        else flags |= Libc.O_LARGEFILE;
        bool cloexec = (flags & Libc.O_CLOEXEC) != 0;

        VfsPath? p;
        int r;
        if ((flags & Libc.O_CREAT) != 0)
        {
            r = PathResolver.ResolveParent(t, dirfd, path, out VfsPath? parent, out string name, out bool trailingSlash);
            if (r < 0) return r;
            if (trailingSlash || GuestPath.IsDot(name)) return -Errno.EISDIR;
            r = PathResolver.LookupChild(t, parent!, name, out p);
            // Another process may create the name between the lookup and the create (Linux holds
            // the directory's lock across both; a gofer-backed directory cannot): without O_EXCL
            // that is an open of the existing file, so look again.
            for (int attempt = 0; r == -Errno.ENOENT; attempt++)
            {
                long created = CreateAndOpen(t, parent!, name, flags, mode, cloexec);
                if (created != -Errno.EEXIST || (flags & Libc.O_EXCL) != 0 || attempt == 3) return created;
                r = PathResolver.LookupChild(t, parent!, name, out p);
            }
            if (r < 0) return r;
            if ((flags & Libc.O_EXCL) != 0) return -Errno.EEXIST;
            if (p!.Inode.IsSymlink)
            {
                if ((flags & Libc.O_NOFOLLOW) != 0) return -Errno.ELOOP;
                r = PathResolver.Resolve(t, dirfd, path, followFinal: true, out p);
                if (r < 0) return r;
            }
            if (p!.Inode.IsDirectory) return -Errno.EISDIR;
        }
        else
        {
            r = PathResolver.Resolve(t, dirfd, path, followFinal: (flags & Libc.O_NOFOLLOW) == 0, out p);
            if (r < 0) return r;
        }
        return OpenExisting(t, p!, flags, cloexec);
    }

    /// <summary>
    /// O_TMPFILE: an unnamed regular file in the directory path names, linkable later with
    /// linkat(AT_EMPTY_PATH) unless O_EXCL. tmpfs only (other filesystems answer EOPNOTSUPP).
    /// </summary>
    private static long OpenTmpFile(Task t, int dirfd, string path, int flags, uint mode)
    {
        // build_open_flags: O_TMPFILE (which includes O_DIRECTORY) without O_CREAT, for writing.
        if ((flags & Libc.O_CREAT) != 0 || (flags & Libc.O_PATH) != 0) return -Errno.EINVAL;
        int acc = flags & Libc.O_ACCMODE;
        if (acc != Libc.O_WRONLY && acc != Libc.O_RDWR) return -Errno.EINVAL;
        int r = PathResolver.Resolve(t, dirfd, path, followFinal: true, out VfsPath? dir);
        if (r < 0) return r;
        if (!dir!.Inode.IsDirectory) return -Errno.ENOTDIR;
        r = FilePermissions.CheckDirWrite(t, dir);
        if (r < 0) return r;
        if (dir.Inode is not Fs.Tmpfs.TmpfsDirectory tmp) return -Errno.EOPNOTSUPP;
        FilePermissions.NewOwner(t, dir.Inode, out uint uid, out uint gid);
        uint perm = mode & 0xFFF & ~t.Fs.Umask;
        int openFlags = (flags & ~(Libc.O_TMPFILE | Libc.O_EXCL)) | Libc.O_LARGEFILE;
        r = tmp.CreateUnnamed(openFlags, perm, uid, gid, linkable: (flags & Libc.O_EXCL) == 0, out Inode? child, out FileDescription? file);
        if (r < 0) return r;
        child!.GetStat(out StatBuf st);
        file!.Location = new VfsPath(dir.Mount, child, dir, "#" + st.Ino.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Fsnotify.Opened(file); // vfs_tmpfile: IN_OPEN, to the directory as "#ino" (d_tmpfile's name)
        return t.Fds.Add(file, (flags & Libc.O_CLOEXEC) != 0);
    }

    private static long CreateAndOpen(Task t, VfsPath parent, string name, int flags, uint mode, bool cloexec)
    {
        int r = FilePermissions.CheckCreate(t, parent);
        if (r < 0) return r;
        FilePermissions.NewOwner(t, parent.Inode, out uint uid, out uint gid);
        uint perm = mode & 0xFFF & ~t.Fs.Umask;
        r = parent.Inode.Create(name, flags & ~(Libc.O_CREAT | Libc.O_EXCL), perm, uid, gid, out Inode? child, out FileDescription? file);
        if (r < 0) return r;
        file!.Location = new VfsPath(parent.Mount, child!, parent, name);
        Fsnotify.Created(parent.Inode, name, isDir: false);
        Fsnotify.Opened(file);
        return t.Fds.Add(file, cloexec);
    }

    private static long OpenExisting(Task t, VfsPath p, int flags, bool cloexec)
    {
        var inode = p.Inode;
        uint type = inode.Mode & FileMode.TypeMask;
        if (type == FileMode.Symlink && (flags & Libc.O_PATH) == 0) return -Errno.ELOOP; // O_NOFOLLOW on a symlink
        if ((flags & Libc.O_DIRECTORY) != 0 && type != FileMode.Directory) return -Errno.ENOTDIR;

        FileDescription? file;
        int r;
        if ((flags & Libc.O_PATH) != 0)
        {
            file = new PathFileDescription(inode, flags);
        }
        else
        {
            int acc = flags & Libc.O_ACCMODE;
            bool write = acc == Libc.O_WRONLY || acc == Libc.O_RDWR;
            bool trunc = (flags & Libc.O_TRUNC) != 0;
            if (type == FileMode.Directory && (write || trunc)) return -Errno.EISDIR;
            if ((write || trunc) && type is FileMode.Regular or FileMode.Directory && PathResolver.IsReadOnly(p)) return -Errno.EROFS;
            int may = (acc != Libc.O_WRONLY ? FilePermissions.MayRead : 0) | (write || trunc ? FilePermissions.MayWrite : 0);
            if (acc == 3) may = FilePermissions.MayRead | FilePermissions.MayWrite;
            r = FilePermissions.Check(t, inode, may);
            if (r < 0) return r;
            if (type is FileMode.CharDevice or FileMode.Block)
            {
                if (p.Mount.NoDev) return -Errno.EACCES;
                r = inode.GetStat(out StatBuf st);
                if (r < 0) return r;
                r = FilePermissions.CheckDevice(t, type, st.Rdev, may);
                if (r < 0) return r;
            }
            // do_dentry_open: O_DIRECT needs direct I/O, which directories do not have.
            if ((flags & Libc.O_DIRECT) != 0 && type == FileMode.Directory) return -Errno.EINVAL;
            r = inode.Open(flags, out file);
            if (r < 0) return r;
            file!.Location = p;
            Fsnotify.Opened(file);
            if (trunc && type == FileMode.Regular)
            {
                // O_TRUNC truncates whatever the access mode (the write permission was checked above).
                var toZero = new SetAttrRequest { Mask = SetAttrRequest.SizeBit, Size = 0 };
                r = write ? file!.Truncate(0) : inode.SetAttr(in toZero);
                if (r == 0) Csrunsc.Sentry.Memory.SharedPages.AfterTruncate(file.Inode, 0);
                if (r < 0 && r != -Errno.EINVAL)
                {
                    file.DecRef();
                    return r;
                }
                if (r == 0) Fsnotify.Changed(inode, p, SetAttrRequest.SizeBit | SetAttrRequest.MtimeBit);
            }
        }
        file!.Location = p;
        return t.Fds.Add(file, cloexec);
    }

    public static long Close(Task t, in SyscallArguments a) => t.Fds.Close(a.Int(0));

    /// <summary>close_range(first, last, flags): CLOSE_RANGE_CLOEXEC marks instead of closing; CLOSE_RANGE_UNSHARE is ignored.</summary>
    public static long CloseRange(Task t, in SyscallArguments a)
    {
        const uint Unshare = 2, CloExec = 4;
        uint first = (uint)a.A0, last = (uint)a.A1, flags = (uint)a.A2;
        if ((flags & ~(Unshare | CloExec)) != 0 || first > last) return -Errno.EINVAL;
        if ((flags & Unshare) != 0) t.UnshareFds();
        foreach (int fd in t.Fds.OpenFds())
        {
            if ((uint)fd < first || (uint)fd > last) continue;
            if ((flags & CloExec) != 0) t.Fds.SetCloseOnExec(fd, true);
            else t.Fds.Close(fd);
        }
        return 0;
    }
}
