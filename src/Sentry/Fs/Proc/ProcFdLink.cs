using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Proc;

/// <summary>
/// /proc/&lt;pid&gt;/fd/N. readlink shows the path (or pipe:[ino], socket:[ino]); the open description
/// itself is available through <see cref="GetFile"/> so the path walk can treat it as Linux's magic
/// link (reopening a pipe or a deleted file through it).
/// </summary>
public sealed class ProcFdLink(ProcFileSystem fs, ulong ino, ProcPidDirectory process, int fd, uint uid, uint gid)
    : ProcSymlink(fs, ino, () => process.Live()?.Fds.Get(fd) is { } f ? ProcFdDirectory.LinkTarget(f) : null, uid, gid), IMagicLink
{
    /// <summary>Files opened by path land on their location; pipes, sockets and memfds follow the link text.</summary>
    public VfsPath? JumpTarget() => GetFile()?.Location;

    public int Fd => fd;

    /// <summary>Linux gives every /proc/PID/fd link the size 64.</summary>
    protected override long StatSize => 64;

    /// <summary>As Linux's tid_fd_update_inode: r-x for a readable description, -wx for a writable one, rwx for both.</summary>
    public override uint Mode
    {
        get
        {
            if (GetFile() is not { } f) return base.Mode;
            int access = f.Flags & Csrunsc.Native.Libc.O_ACCMODE;
            if ((f.Flags & Csrunsc.Native.Libc.O_PATH) != 0) return FileMode.Symlink;
            uint bits = access switch { Csrunsc.Native.Libc.O_RDONLY => 0x140u, Csrunsc.Native.Libc.O_WRONLY => 0xC0u, Csrunsc.Native.Libc.O_RDWR => 0x1C0u, _ => 0u }; // 3: ioctl only
            return FileMode.Symlink | bits;
        }
    }

    /// <summary>The description behind the link (with no extra reference), or null if the fd is closed.</summary>
    public FileDescription? GetFile() => process.Live()?.Fds.Get(fd);
}
