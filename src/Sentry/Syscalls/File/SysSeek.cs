using Csrunsc.Native;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>lseek, including SEEK_DATA/SEEK_HOLE (the file finds them: tmpfs by page, gofer files on the host file).</summary>
internal static class SysSeek
{
    private const int SeekData = 3, SeekHole = 4;

    public static long LSeek(Task t, in SyscallArguments a)
    {
        var f = t.Fds.Get(a.Int(0));
        if (f is null) return -Errno.EBADF;
        long offset = (long)a.A1;
        int whence = a.Int(2);
        if (whence is SeekData or SeekHole)
        {
            if (!f.Seekable) return -Errno.ESPIPE;
            if (f.Inode is { } inode && inode.IsDirectory) return -Errno.EINVAL;
            long at = f.FindDataOrHole(offset, data: whence == SeekData);
            if (at < 0) return at;
            return f.Seek(at, Libc.SEEK_SET);
        }
        if ((uint)whence > Libc.SEEK_END) return -Errno.EINVAL;
        return f.Seek(offset, whence);
    }
}
