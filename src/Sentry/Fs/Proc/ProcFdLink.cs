using Csrunsc.Sentry.Vfs;

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

    /// <summary>The description behind the link (with no extra reference), or null if the fd is closed.</summary>
    public FileDescription? GetFile() => process.Live()?.Fds.Get(fd);
}
