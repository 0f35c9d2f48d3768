using Csrunsc.Native;

namespace Csrunsc.Gofer.Server;

/// <summary>
/// Gives the gofer a mount view holding only what it serves, so that `..` from any fd it holds
/// stops there (as runsc's gofer pivots into the container's root): in a mount namespace of its
/// own, an empty tmpfs gets one bind mount per attach point (`/a0` the rootfs, `/aN` bind source
/// N-1, read-only binds mounted read-only), the gofer pivots into it and drops the old root, and
/// every attach point is reopened from the new view. Before this, the O_PATH fds of the sources
/// were opened on the host's tree: code running in the gofer could climb from a bind source with
/// openat(fd, "..") to the host's root. Needs CAP_SYS_ADMIN (the gofer starts as host root).
/// </summary>
public static unsafe class GoferMountView
{
    /// <summary>
    /// Builds the view over <paramref name="roots"/> (opened by <see cref="GoferRoots.Open"/> after
    /// <see cref="EnterOwnNamespace"/>)
    /// and swaps their fds for the view's. 0 or -errno, with the failed step.
    /// </summary>
    /// <summary>
    /// First, before the attach points are opened (a bind mount's source must be a mount of the
    /// caller's own namespace): a mount namespace of the gofer's own, with no propagation either way.
    /// </summary>
    public static int EnterOwnNamespace(out string? failedStep)
    {
        failedStep = null;
        byte* slash = stackalloc byte[] { (byte)'/', 0 };
        if (Libc.Unshare(Libc.CLONE_NEWNS) < 0) return Fail("unshare(CLONE_NEWNS)", out failedStep);
        if (Libc.Mount(null, slash, null, Libc.MS_REC | Libc.MS_PRIVATE, null) < 0) return Fail("make / private", out failedStep);
        return 0;
    }

    public static int Isolate(string rootPath, GoferRoots roots, out string? failedStep)
    {
        failedStep = null;
        byte* slash = stackalloc byte[] { (byte)'/', 0 };
        byte* dot = stackalloc byte[] { (byte)'.', 0 };

        // Detached copies of every tree first: a copy made after the tmpfs covers the rootfs would hold it too.
        var trees = new int[roots.Points.Count];
        Array.Fill(trees, -1);
        byte* empty = stackalloc byte[] { 0 };
        int view = -1;
        try
        {
            for (int i = 0; i < trees.Length; i++)
            {
                trees[i] = Libc.OpenTree(roots.Points[i].Fd, empty, Libc.OPEN_TREE_CLONE | Libc.AT_RECURSIVE | Libc.AT_EMPTY_PATH | Libc.O_CLOEXEC);
                if (trees[i] < 0) return Fail($"clone attach point {i}", out failedStep);
            }
            // The tmpfs goes over the rootfs path: everything is held by fd now, so hiding it costs nothing.
            var rootfs = Libc.CString(rootPath);
            fixed (byte* target = rootfs)
            fixed (byte* tmpfs = "tmpfs\0"u8)
            fixed (byte* options = "mode=0755,size=64k,nr_inodes=4096\0"u8)
            {
                if (Libc.Mount(tmpfs, target, tmpfs, Libc.MS_NOSUID | Libc.MS_NODEV | Libc.MS_NOEXEC, options) < 0)
                    return Fail("mount the view's tmpfs", out failedStep);
                view = Libc.Open(target, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
                if (view < 0) return Fail("open the view", out failedStep);
            }
            for (int i = 0; i < trees.Length; i++)
            {
                if (Attach(view, i, trees[i], roots.Points[i], out failedStep) is var r and < 0) return r;
            }
            // pivot_root(".", "."): the old root ends up stacked over the new one; detach it.
            if (Libc.FChdir(view) < 0) return Fail("fchdir the view", out failedStep);
            if (Libc.PivotRoot(dot, dot) < 0) return Fail("pivot_root", out failedStep);
            if (Libc.Umount2(dot, Libc.MNT_DETACH) < 0) return Fail("detach the old root", out failedStep);
            if (Libc.Chdir(slash) < 0) return Fail("chdir /", out failedStep);
        }
        finally
        {
            foreach (int tree in trees)
                if (tree >= 0) Libc.Close(tree);
            if (view >= 0) Libc.Close(view);
        }

        // The held fds still point into the detached old tree: reopen every point from the view.
        for (int i = 0; i < roots.Points.Count; i++)
        {
            if (Reopen(roots, i, out failedStep) is var r and < 0) return r;
        }
        return 0;
    }

    private static byte[] Name(int index) => Libc.CString("a" + index.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static byte[] MagicPath(int fd, byte[]? name = null) =>
        Libc.CString($"/proc/self/fd/{fd}" + (name is null ? "" : "/" + System.Text.Encoding.ASCII.GetString(name, 0, name.Length - 1)));

    /// <summary>Makes mount point aN in the view and attaches the detached copy <paramref name="tree"/> there.</summary>
    private static int Attach(int view, int index, int tree, AttachPoint point, out string? failedStep)
    {
        failedStep = null;
        var name = Name(index);
        fixed (byte* n = name)
        {
            int made = point.IsDirectory
                ? Libc.MkdirAt(view, n, 0x1C0)
                : Libc.OpenAt(view, n, Libc.O_CREAT | Libc.O_EXCL | Libc.O_WRONLY | Libc.O_CLOEXEC, 0x180);
            if (made < 0) return Fail($"create mount point {index}", out failedStep);
            if (!point.IsDirectory) Libc.Close(made);
        }
        var target = MagicPath(view, name);
        byte* empty = stackalloc byte[] { 0 };
        fixed (byte* t = target)
        {
            if (Libc.MoveMount(tree, empty, Libc.AT_FDCWD, t, Libc.MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return Fail($"attach point {index}", out failedStep);
            if (point.ReadOnly && Libc.Mount(null, t, null, Libc.MS_REMOUNT | Libc.MS_BIND | Libc.MS_RDONLY, null) < 0)
                return Fail($"make attach point {index} read-only", out failedStep);
        }
        return 0;
    }

    private static int Reopen(GoferRoots roots, int index, out string? failedStep)
    {
        failedStep = null;
        var old = roots.Points[index];
        var name = Name(index);
        var path = Libc.CString("/" + System.Text.Encoding.ASCII.GetString(name, 0, name.Length - 1));
        int fd;
        fixed (byte* p = path) fd = Libc.Open(p, Libc.O_PATH | Libc.O_NOFOLLOW | Libc.O_CLOEXEC | (old.IsDirectory ? Libc.O_DIRECTORY : 0), 0);
        if (fd < 0) return Fail($"reopen attach point {index}", out failedStep);
        StatBuf before, after;
        if (Libc.FStat(old.Fd, &before) < 0 || Libc.FStat(fd, &after) < 0 || before.Dev != after.Dev || before.Ino != after.Ino)
        {
            Libc.Close(fd);
            failedStep = $"attach point {index} is not the same file in the view";
            return -Errno.EIO;
        }
        int parent = -1;
        if (!old.IsDirectory)
        {
            fixed (byte* s = "/\0"u8) parent = Libc.Open(s, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
            if (parent < 0)
            {
                Libc.Close(fd);
                return Fail("open the view's root", out failedStep);
            }
        }
        roots.Replace(index, new AttachPoint
        {
            GuestPath = old.GuestPath, Fd = fd, IsDirectory = old.IsDirectory, ReadOnly = old.ReadOnly,
            ParentFd = parent, Name = old.IsDirectory ? null : name, Dev = old.Dev, Ino = old.Ino,
        });
        return 0;
    }

    private static int Fail(string step, out string? failedStep)
    {
        failedStep = step;
        return -Libc.LastErrno;
    }
}
