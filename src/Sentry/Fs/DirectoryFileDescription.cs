using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Fs;

/// <summary>An open directory: getdents goes through <see cref="Inode.ReadDir"/>; read and write fail with EISDIR.</summary>
public sealed class DirectoryFileDescription(Inode inode, int flags) : FileDescription(inode, flags)
{
    public override long Read(Kernel.Task task, Span<byte> buffer, long offset) => -Errno.EISDIR;

    public override long Write(Kernel.Task task, ReadOnlySpan<byte> buffer, long offset) => -Errno.EISDIR;

    public override int Truncate(long length) => -Errno.EISDIR;

    /// <summary>SEEK_END: tmpfs and the rootfs answer EINVAL (dcache_dir_lseek); /proc and /sys directories seek from their size (generic_file_llseek).</summary>
    public override long Seek(long offset, int whence) =>
        whence == Libc.SEEK_END && Inode!.FileSystem.Type is not ("proc" or "sysfs") ? -Errno.EINVAL : base.Seek(offset, whence);

    /// <summary>Opens a directory inode: refuses write access as Linux does.</summary>
    public static int Open(Inode inode, int flags, out FileDescription? file)
    {
        file = null;
        if ((flags & Libc.O_PATH) == 0 && (flags & Libc.O_ACCMODE) != Libc.O_RDONLY) return -Errno.EISDIR;
        file = new DirectoryFileDescription(inode, flags);
        return 0;
    }
}
