using System.Text;
using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>getcwd, chdir, fchdir, chroot.</summary>
internal static class SysCwd
{
    public static long GetCwd(Task t, in SyscallArguments a)
    {
        string path = PathUnderRoot(t, t.Fs.Cwd);
        int len = Encoding.UTF8.GetByteCount(path);
        ulong size = a.A1;
        if (size < (ulong)len + 1) return -Errno.ERANGE;
        Span<byte> buf = len < 1024 ? stackalloc byte[len + 1] : new byte[len + 1];
        Encoding.UTF8.GetBytes(path, buf);
        buf[len] = 0;
        int r = t.CopyOut(a.A0, buf);
        return r < 0 ? r : len + 1;
    }

    /// <summary>A location's path as the task sees it: relative to its root, "(unreachable)" outside it.</summary>
    public static string PathUnderRoot(Task t, VfsPath p)
    {
        var root = t.Fs.Root;
        if (root.Parent is null) return p.AbsolutePath;
        for (var q = p; q is not null; q = q.Parent)
        {
            if (PathResolver.SameLocation(q, root))
            {
                string rootPath = root.AbsolutePath;
                return p.AbsolutePath.Length == rootPath.Length ? "/" : p.AbsolutePath[rootPath.Length..];
            }
        }
        return "(unreachable)" + p.AbsolutePath;
    }

    public static long ChDir(Task t, in SyscallArguments a)
    {
        int r = GuestPath.Read(t, a.A0, out string path);
        if (r < 0) return r;
        r = PathResolver.Resolve(t, Libc.AT_FDCWD, path, followFinal: true, out VfsPath? p);
        if (r < 0) return r;
        return SetCwd(t, p!);
    }

    public static long FChDir(Task t, in SyscallArguments a)
    {
        var f = t.Fds.Get(a.Int(0));
        if (f is null) return -Errno.EBADF;
        if (f.Location is null) return -Errno.ENOTDIR;
        return SetCwd(t, f.Location);
    }

    private static long SetCwd(Task t, VfsPath p)
    {
        if (!p.Inode.IsDirectory) return -Errno.ENOTDIR;
        int r = FilePermissions.Check(t, p.Inode, FilePermissions.MayExec);
        if (r < 0) return r;
        t.Fs.Cwd = p;
        return 0;
    }

    /// <summary>chroot: changes the task's root (shared through CLONE_FS); the cwd stays, as in Linux.</summary>
    public static long ChRoot(Task t, in SyscallArguments a)
    {
        int r = GuestPath.Read(t, a.A0, out string path);
        if (r < 0) return r;
        r = PathResolver.Resolve(t, Libc.AT_FDCWD, path, followFinal: true, out VfsPath? p);
        if (r < 0) return r;
        if (!p!.Inode.IsDirectory) return -Errno.ENOTDIR;
        r = FilePermissions.Check(t, p.Inode, FilePermissions.MayExec);
        if (r < 0) return r;
        if (!Capabilities.Has(t, Capabilities.SYS_CHROOT)) return -Errno.EPERM;
        t.Fs.Root = p;
        return 0;
    }
}
