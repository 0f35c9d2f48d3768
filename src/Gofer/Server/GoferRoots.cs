using Csrunsc.Native;

namespace Csrunsc.Gofer.Server;

/// <summary>The attach points of one gofer, opened with host paths before the gofer confines itself.</summary>
public sealed unsafe class GoferRoots : IDisposable
{
    private readonly List<AttachPoint> _points;

    private GoferRoots(List<AttachPoint> points) => _points = points;

    /// <summary>Index 0 is the rootfs; index i ≥ 1 is bind mount i-1.</summary>
    public IReadOnlyList<AttachPoint> Points => _points;

    /// <summary>
    /// Opens the rootfs directory and each bind-mount source (directory or single file).
    /// Returns 0 or -errno, with <paramref name="error"/> naming the path that failed.
    /// </summary>
    public static int Open(string rootPath, IReadOnlyList<(string guestPath, string hostPath, bool readOnly)> bindMounts,
        bool rootReadOnly, out GoferRoots? roots, out string? error)
    {
        var points = new List<AttachPoint>(1 + bindMounts.Count);
        roots = null;
        error = null;
        int fd = Libc.OpenPath(rootPath, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            int e = Libc.LastErrno;
            error = $"open rootfs {rootPath}: {Errno.Name(e)}";
            return -e;
        }
        points.Add(new AttachPoint { GuestPath = "/", Fd = fd, IsDirectory = true, ReadOnly = rootReadOnly });
        foreach (var (guestPath, hostPath, readOnly) in bindMounts)
        {
            int r = OpenBind(guestPath, hostPath, readOnly, out var point);
            if (r < 0)
            {
                error = $"open bind mount source {hostPath}: {Errno.Name(-r)}";
                new GoferRoots(points).Dispose();
                return r;
            }
            points.Add(point!);
        }
        roots = new GoferRoots(points);
        return 0;
    }

    private static int OpenBind(string guestPath, string hostPath, bool readOnly, out AttachPoint? point)
    {
        point = null;
        // The host path comes from the trusted OCI spec: resolve a symlink in its last component here,
        // once, so a single file is held through its real parent directory and name.
        string real = hostPath;
        try
        {
            var target = new FileInfo(hostPath).ResolveLinkTarget(returnFinalTarget: true);
            if (target is not null) real = target.FullName;
        }
        catch (IOException)
        {
            // Not a link or unreadable: open it as given and let open report the error.
        }
        int fd = Libc.OpenPath(real, Libc.O_PATH | Libc.O_CLOEXEC);
        if (fd < 0) return -Libc.LastErrno;
        StatBuf st;
        if (Libc.FStat(fd, &st) < 0)
        {
            int e = Libc.LastErrno;
            Libc.Close(fd);
            return -e;
        }
        if ((st.Mode & StatBuf.S_IFMT) == StatBuf.S_IFDIR)
        {
            point = new AttachPoint { GuestPath = guestPath, Fd = fd, IsDirectory = true, ReadOnly = readOnly, Dev = st.Dev, Ino = st.Ino };
            return 0;
        }
        string full = Path.GetFullPath(real);
        string dir = Path.GetDirectoryName(full) ?? "/";
        string name = Path.GetFileName(full);
        int parent = Libc.OpenPath(dir, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (parent < 0)
        {
            int e = Libc.LastErrno;
            Libc.Close(fd);
            return -e;
        }
        point = new AttachPoint
        {
            GuestPath = guestPath, Fd = fd, IsDirectory = false, ReadOnly = readOnly,
            ParentFd = parent, Name = Libc.CString(name), Dev = st.Dev, Ino = st.Ino,
        };
        return 0;
    }

    /// <summary>Puts <paramref name="point"/> in place of point <paramref name="index"/>, closing the old one's fds.</summary>
    internal void Replace(int index, AttachPoint point)
    {
        var old = _points[index];
        if (old.Fd >= 0) Libc.Close(old.Fd);
        if (old.ParentFd >= 0) Libc.Close(old.ParentFd);
        _points[index] = point;
    }

    public void Dispose()
    {
        foreach (var p in _points)
        {
            if (p.Fd >= 0) Libc.Close(p.Fd);
            if (p.ParentFd >= 0) Libc.Close(p.ParentFd);
        }
        _points.Clear();
    }
}
