using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>mkdir, mkdirat, mknod, mknodat.</summary>
internal static class SysMkdir
{
    public static long Mkdir(Task t, in SyscallArguments a) => MkdirAt(t, Libc.AT_FDCWD, a.A0, (uint)a.A1);

    public static long MkdirAtCall(Task t, in SyscallArguments a) => MkdirAt(t, a.Int(0), a.A1, (uint)a.A2);

    private static long MkdirAt(Task t, int dirfd, ulong pathAddr, uint mode)
    {
        int r = GuestPath.Read(t, pathAddr, out string path);
        if (r < 0) return r;
        r = PathResolver.ResolveParent(t, dirfd, path, out VfsPath? parent, out string name);
        if (r < 0) return r;
        if (GuestPath.IsDot(name)) return -Errno.EEXIST;
        if (PathResolver.LookupChild(t, parent!, name, out _) == 0) return -Errno.EEXIST;
        r = FilePermissions.CheckCreate(t, parent!);
        if (r < 0) return r;
        FilePermissions.NewOwner(t, parent!.Inode, out uint uid, out uint gid);
        uint perm = mode & 0x3FF /*0777 | S_ISVTX*/ & ~t.Fs.Umask;
        if ((parent.Inode.Mode & 0x400) != 0) perm |= 0x400; // set-group-id directories propagate
        r = parent.Inode.Mkdir(name, perm, uid, gid);
        if (r == 0) Vfs.Inotify.Fsnotify.Created(parent.Inode, name, isDir: true);
        return r;
    }

    public static long Mknod(Task t, in SyscallArguments a) => MknodAt(t, Libc.AT_FDCWD, a.A0, (uint)a.A1, a.A2);

    public static long MknodAtCall(Task t, in SyscallArguments a) => MknodAt(t, a.Int(0), a.A1, (uint)a.A2, a.A3);

    private static long MknodAt(Task t, int dirfd, ulong pathAddr, uint mode, ulong dev)
    {
        uint type = mode & FileMode.TypeMask;
        switch (type)
        {
            case 0:
                type = FileMode.Regular;
                break;
            case FileMode.Regular:
            case FileMode.Fifo:
            case FileMode.Socket:
                break;
            case FileMode.CharDevice:
            case FileMode.Block:
                break; // CAP_MKNOD: checked in MakeNode after the directory's permission, as vfs_mknod does
            case FileMode.Directory:
                return -Errno.EPERM;
            default:
                return -Errno.EINVAL;
        }
        int r = GuestPath.Read(t, pathAddr, out string path);
        if (r < 0) return r;
        return MakeNode(t, dirfd, path, type | (mode & 0xFFF), dev, out _, out _);
    }

    /// <summary>
    /// Creates a node of type and permissions mode (the umask applied here) at path: EEXIST,
    /// ENOENT, EROFS, EACCES as mknod answers. Returns 0 with the directory and name it was made
    /// in (bind(2) of an AF_UNIX path makes its socket node through here).
    /// </summary>
    internal static int MakeNode(Task t, int dirfd, string path, uint mode, ulong dev, out VfsPath? parent, out string name)
    {
        uint type = mode & FileMode.TypeMask;
        int r = PathResolver.ResolveParent(t, dirfd, path, out parent, out name, out bool trailingSlash);
        if (r < 0) return r;
        if (GuestPath.IsDot(name)) return -Errno.EEXIST;
        if (PathResolver.LookupChild(t, parent!, name, out _) == 0) return -Errno.EEXIST;
        if (trailingSlash) return -Errno.ENOENT;
        r = FilePermissions.CheckCreate(t, parent!);
        if (r < 0) return r;
        if (type is FileMode.CharDevice or FileMode.Block && !Capabilities.Has(t, Capabilities.MKNOD)) return -Errno.EPERM;
        r = FilePermissions.CheckDevice(t, type, dev, 0, mknod: true);
        if (r < 0) return r;
        FilePermissions.NewOwner(t, parent!.Inode, out uint uid, out uint gid);
        uint perm = mode & 0xFFF & ~t.Fs.Umask;
        r = parent.Inode.Mknod(name, type | perm, type is FileMode.CharDevice or FileMode.Block ? dev : 0, uid, gid);
        if (r == 0) Vfs.Inotify.Fsnotify.Created(parent.Inode, name, isDir: false);
        return r;
    }
}
