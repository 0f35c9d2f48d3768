using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>Path arguments of file syscalls: copy-in and the *at() resolution variants.</summary>
internal static class GuestPath
{
    /// <summary>Copies a NUL-terminated path from the guest: 0, -EFAULT or -ENAMETOOLONG.</summary>
    public static int Read(Task t, ulong addr, out string path)
    {
        if (addr == 0)
        {
            path = "";
            return -Errno.EFAULT;
        }
        return t.CopyInString(addr, PathResolver.PathMax, out path);
    }

    /// <summary>
    /// Resolves (dirfd, path) as the stat/chown/utimensat family does: AT_EMPTY_PATH with an empty
    /// path names dirfd itself; AT_SYMLINK_NOFOLLOW keeps a final symlink.
    /// </summary>
    public static int ResolveAt(Task t, int dirfd, ulong pathAddr, int flags, out VfsPath? result)
    {
        result = null;
        int r = Read(t, pathAddr, out string path);
        if (r < 0) return r;
        if (path.Length == 0 && (flags & Libc.AT_EMPTY_PATH) != 0) return OfFd(t, dirfd, out result);
        return PathResolver.Resolve(t, dirfd, path, (flags & Libc.AT_SYMLINK_NOFOLLOW) == 0, out result);
    }

    /// <summary>The location of an open fd (or the cwd for AT_FDCWD).</summary>
    public static int OfFd(Task t, int fd, out VfsPath? result)
    {
        result = null;
        if (fd == Libc.AT_FDCWD)
        {
            result = t.Fs.Cwd;
            return 0;
        }
        var file = t.Fds.Get(fd);
        if (file is null) return -Errno.EBADF;
        if (file.Location is null) return -Errno.EBADF;
        result = file.Location;
        return 0;
    }

    public static bool IsDot(string name) => name is "." or "..";
}
