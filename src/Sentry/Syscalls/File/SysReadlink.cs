using System.Text;
using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>readlink, readlinkat (an empty path reads the symlink dirfd was opened on with O_PATH|O_NOFOLLOW).</summary>
internal static class SysReadlink
{
    public static long ReadLink(Task t, in SyscallArguments a) => ReadLinkAt(t, Libc.AT_FDCWD, a.A0, a.A1, (long)a.A2);

    public static long ReadLinkAtCall(Task t, in SyscallArguments a) => ReadLinkAt(t, a.Int(0), a.A1, a.A2, (long)(int)a.A3);

    private static long ReadLinkAt(Task t, int dirfd, ulong pathAddr, ulong buf, long size)
    {
        // bufsiz is an int in Linux: only its low 32 bits count.
        int bufsiz = (int)size;
        if (bufsiz <= 0) return -Errno.EINVAL;
        int r = GuestPath.Read(t, pathAddr, out string path);
        if (r < 0) return r;
        VfsPath? p;
        if (path.Length == 0)
        {
            r = GuestPath.OfFd(t, dirfd, out p);
            if (r < 0) return r;
            if (!p!.Inode.IsSymlink) return -Errno.ENOENT;
        }
        else
        {
            r = PathResolver.Resolve(t, dirfd, path, followFinal: false, out p);
            if (r < 0) return r;
        }
        if (!p!.Inode.IsSymlink) return -Errno.EINVAL;
        r = p.Inode.ReadLink(out string? target);
        if (r < 0) return r;
        byte[] bytes = Encoding.UTF8.GetBytes(target ?? "");
        int n = Math.Min(bytes.Length, bufsiz);
        r = t.CopyOut(buf, bytes.AsSpan(0, n));
        return r < 0 ? r : n;
    }
}
