using Csrunsc.Native;
using Csrunsc.Sentry.Fs;
using Csrunsc.Sentry.Fs.Host;
using Csrunsc.Sentry.Fs.Tmpfs;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Boot;

/// <summary>
/// A host pseudo-terminal slave handed to a guest process (process.terminal, exec --tty) appears in
/// the guest's devpts as /dev/pts/N, so ttyname(), `tty` and reopening /dev/pts/N work: the guest
/// sees one inode whether it fstat()s its stdin or stat()s the path.
/// </summary>
public static unsafe class TerminalNode
{
    private const uint PtySlaveMajorFirst = 136, PtySlaveMajorLast = 143;

    /// <summary>The host fd's access mode and O_APPEND, so the guest sees what it was given (EBADF writing a read-only stdin).</summary>
    private static int AccessMode(int hostFd)
    {
        int fl = Libc.Fcntl(hostFd, Libc.F_GETFL, 0);
        return fl < 0 ? Libc.O_RDWR : fl & (Libc.O_ACCMODE | Libc.O_APPEND);
    }

    /// <summary>
    /// A description for a stdio fd handed to a guest process: the devpts node of a pty slave, or
    /// the host file itself, sharing its offset with the caller (`run ... > file` appends after
    /// what the caller wrote, as with runc).
    /// </summary>
    public static FileDescription Describe(Vfs.MountTable mounts, int hostFd, bool ownsFd) => Describe(mounts, hostFd, ownsFd, out _);

    /// <summary>As above; console is the host terminal as a controlling terminal when the fd is a pty slave.</summary>
    public static FileDescription Describe(Vfs.MountTable mounts, int hostFd, bool ownsFd, out IControllingTerminal? console)
    {
        console = null;
        StatBuf st;
        if (Libc.FStat(hostFd, &st) < 0 || (st.Mode & StatBuf.S_IFMT) != StatBuf.S_IFCHR)
            return new HostFileDescription(hostFd, AccessMode(hostFd), ownsFd) { SharesHostOffset = true };
        uint major = (uint)((st.Rdev >> 8) & 0xfff), minor = (uint)((st.Rdev & 0xff) | ((st.Rdev >> 12) & 0xfff00));
        if (major < PtySlaveMajorFirst || major > PtySlaveMajorLast || !mounts.TryGet("/dev/pts", out Mount pts) || pts.FileSystem is not TmpfsFileSystem devpts)
            return new HostFileDescription(hostFd, AccessMode(hostFd), ownsFd);
        uint n = (major - PtySlaveMajorFirst) * 256 + minor;
        string name = n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Inode node;
        if (devpts.Root.Lookup(name, out Inode? existing) == 0 && existing is not null) node = existing;
        else node = devpts.AddCharDevice("/" + name, major, minor, 0x190 /*0620*/);
        int keep = Libc.Fcntl(hostFd, Libc.F_DUPFD_CLOEXEC, 100);
        DeviceRegistry.Register(major, minor, (Inode inode, int flags, out FileDescription? file) =>
        {
            int fd = Libc.Fcntl(keep, Libc.F_DUPFD_CLOEXEC, 3);
            file = fd < 0 ? null : new HostFileDescription(fd, flags, ownsFd: true, inode);
            return fd < 0 ? -Libc.LastErrno : 0;
        });
        // /dev/tty of the processes started on it (and their children, until setsid).
        console = new HostConsole(keep);
        var root = mounts.Root;
        var rootPath = new VfsPath(root, root.Root, null, "");
        mounts.TryGet("/dev", out Mount dev);
        var devPath = new VfsPath(dev ?? root, dev?.Root ?? root.Root, rootPath, "dev");
        var ptsPath = new VfsPath(pts, pts.Root, devPath, "pts");
        return new HostFileDescription(hostFd, Libc.O_RDWR, ownsFd, node) { Location = new VfsPath(pts, node, ptsPath, name) };
    }

    /// <summary>The caller's host terminal as a controlling terminal: /dev/tty reopens it; its hang-ups are the host's.</summary>
    private sealed class HostConsole(int keepFd) : IControllingTerminal
    {
        public int OpenCurrentTty(Task task, Inode node, int flags, out FileDescription? file)
        {
            int fd = Libc.Fcntl(keepFd, Libc.F_DUPFD_CLOEXEC, 3);
            file = fd < 0 ? null : new HostFileDescription(fd, flags, ownsFd: true, node);
            return fd < 0 ? -Libc.LastErrno : 0;
        }

        public void SessionLeaderExited(ThreadGroup leader)
        {
        }
    }
}
