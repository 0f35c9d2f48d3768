using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Tmpfs;
using Csrunsc.Sentry.Vfs;
using Xunit;

namespace Csrunsc.Tests.Syscalls;

public class PathResolverTests
{
    private static VfsPath Resolve(SyscallHarness h, string path, bool follow = true, int dirfd = Libc.AT_FDCWD)
    {
        int r = PathResolver.Resolve(h.Task, dirfd, path, follow, out VfsPath? p);
        Assert.True(r == 0, $"resolve {path}: {Errno.Name(-r)}");
        return p!;
    }

    private static int Error(SyscallHarness h, string path, bool follow = true, int dirfd = Libc.AT_FDCWD) =>
        PathResolver.Resolve(h.Task, dirfd, path, follow, out _);

    [Fact]
    public void AbsoluteAndRelativePaths()
    {
        using var h = new SyscallHarness();
        var c = h.Fs.AddDirectory("/a/b/c");
        h.Fs.AddFile("/a/b/c/f", "x"u8);
        var p = Resolve(h, "/a/b/c");
        Assert.Same(c, p.Inode);
        Assert.Equal("/a/b/c", p.AbsolutePath);
        Assert.Equal("/a/b/c/f", Resolve(h, "/a//b/./c/f").AbsolutePath);
        Assert.Same(h.Fs.Root, Resolve(h, "/").Inode);

        h.Task.Fs.Cwd = Resolve(h, "/a/b");
        Assert.Equal("/a/b/c/f", Resolve(h, "c/f").AbsolutePath);
        Assert.Equal("/a/b", Resolve(h, ".").AbsolutePath);
        Assert.Equal("/a", Resolve(h, "..").AbsolutePath);
        Assert.Equal("/a/b/c", Resolve(h, "../b/c/").AbsolutePath);
    }

    [Fact]
    public void DotDotStopsAtTheRoot()
    {
        using var h = new SyscallHarness();
        h.Fs.AddDirectory("/a/jail/inner");
        Assert.Equal("/", Resolve(h, "/../../..").AbsolutePath);
        Assert.Equal("/a", Resolve(h, "/../a").AbsolutePath);

        var jail = Resolve(h, "/a/jail");
        h.Task.Fs.Root = jail;
        h.Task.Fs.Cwd = jail;
        Assert.Same(jail.Inode, Resolve(h, "../../..").Inode);
        Assert.Same(jail.Inode, Resolve(h, "/..").Inode);
        Assert.Equal("/a/jail/inner", Resolve(h, "/inner").AbsolutePath);
    }

    [Fact]
    public void ErrorsForMissingNonDirectoryEmptyAndLongNames()
    {
        using var h = new SyscallHarness();
        h.Fs.AddFile("/file", "x"u8);
        Assert.Equal(-Errno.ENOENT, Error(h, "/missing"));
        Assert.Equal(-Errno.ENOENT, Error(h, "/missing/x"));
        Assert.Equal(-Errno.ENOTDIR, Error(h, "/file/x"));
        Assert.Equal(-Errno.ENOTDIR, Error(h, "/file/"));
        Assert.Equal(-Errno.ENOTDIR, Error(h, "/file/."));
        Assert.Equal(-Errno.ENOENT, Error(h, ""));
        Assert.Equal(-Errno.ENAMETOOLONG, Error(h, "/" + new string('n', 256)));
        Assert.Equal(-Errno.ENOENT, Error(h, "/" + new string('n', 255)));
    }

    [Fact]
    public void SymlinksAreFollowedInTheGuestView()
    {
        using var h = new SyscallHarness();
        var target = h.Fs.AddDirectory("/real/dir");
        h.Fs.AddFile("/real/dir/f", "x"u8);
        h.Fs.AddSymlink("/abs", "/real/dir");
        h.Fs.AddSymlink("/real/rel", "dir");
        h.Fs.AddSymlink("/real/up", "../real/dir/f");
        h.Fs.AddSymlink("/dangling", "/nowhere");

        Assert.Same(target, Resolve(h, "/abs").Inode);
        Assert.Equal("/real/dir", Resolve(h, "/abs").AbsolutePath);
        Assert.True(Resolve(h, "/abs", follow: false).Inode.IsSymlink);
        Assert.Equal("/real/dir/f", Resolve(h, "/abs/f", follow: false).AbsolutePath);
        Assert.Same(target, Resolve(h, "/real/rel").Inode);
        Assert.Equal("/real/dir/f", Resolve(h, "/real/up").AbsolutePath);
        Assert.Same(target, Resolve(h, "/abs/", follow: false).Inode); // a trailing slash follows
        Assert.Equal(-Errno.ENOENT, Error(h, "/dangling"));
        Assert.True(Resolve(h, "/dangling", follow: false).Inode.IsSymlink);
    }

    [Fact]
    public void AbsoluteSymlinksStayInsideTheTaskRoot()
    {
        using var h = new SyscallHarness();
        h.Fs.AddDirectory("/jail/etc");
        h.Fs.AddFile("/jail/etc/passwd", "inside"u8);
        h.Fs.AddFile("/etc/passwd", "outside"u8);
        h.Fs.AddSymlink("/jail/link", "/etc/passwd");
        h.Fs.AddSymlink("/jail/up", "../../../etc/passwd");
        var jail = Resolve(h, "/jail");
        h.Task.Fs.Root = jail;
        Assert.Equal("/jail/etc/passwd", Resolve(h, "/link").AbsolutePath);
        Assert.Equal("/jail/etc/passwd", Resolve(h, "/up").AbsolutePath);
    }

    [Fact]
    public void SymlinkLoopsAnswerEloop()
    {
        using var h = new SyscallHarness();
        h.Fs.AddSymlink("/a", "b");
        h.Fs.AddSymlink("/b", "a");
        h.Fs.AddSymlink("/self", "self/x");
        Assert.Equal(-Errno.ELOOP, Error(h, "/a"));
        Assert.Equal(-Errno.ELOOP, Error(h, "/a/x"));
        Assert.Equal(-Errno.ELOOP, Error(h, "/self"));
        Assert.True(Resolve(h, "/a", follow: false).Inode.IsSymlink);

        // A chain of 40 links resolves; 41 do not.
        h.Fs.AddFile("/end", "x"u8);
        h.Fs.AddSymlink("/l0", "/end");
        for (int i = 1; i <= 40; i++) h.Fs.AddSymlink("/l" + i, "/l" + (i - 1));
        Assert.Equal("/end", Resolve(h, "/l39").AbsolutePath);
        Assert.Equal(-Errno.ELOOP, Error(h, "/l40"));
    }

    [Fact]
    public void MountsAreCrossedBothWays()
    {
        using var h = new SyscallHarness();
        h.Fs.AddFile("/mnt/hidden", "under the mount"u8);
        var mounted = h.MountTmpfs("/mnt");
        mounted.AddFile("/sub/f", "on the mount"u8);
        mounted.AddSymlink("/sub/toroot", "../../etc");
        h.Fs.AddDirectory("/etc");

        var m = Resolve(h, "/mnt");
        Assert.Same(mounted.Root, m.Inode);
        Assert.Same(mounted, m.Mount.FileSystem);
        var f = Resolve(h, "/mnt/sub/f");
        Assert.Same(mounted, f.Inode.FileSystem);
        Assert.Equal("/mnt/sub/f", f.AbsolutePath);
        Assert.Equal(-Errno.ENOENT, Error(h, "/mnt/hidden"));
        Assert.Same(h.Fs.Root, Resolve(h, "/mnt/..").Inode);
        Assert.Same(h.RootMount, Resolve(h, "/mnt/sub/../../etc").Mount);
        Assert.Equal("/etc", Resolve(h, "/mnt/sub/toroot").AbsolutePath);

        h.Task.Fs.Cwd = Resolve(h, "/mnt/sub");
        Assert.Same(f.Inode, Resolve(h, "f").Inode);
        Assert.Same(h.Fs.Root, Resolve(h, "../..").Inode);
    }

    [Fact]
    public void DirfdIsTheStartOfRelativePaths()
    {
        using var h = new SyscallHarness();
        h.Fs.AddFile("/d/f", "x"u8);
        h.Fs.AddFile("/g", "x"u8);
        int dfd = (int)h.Call(257, SyscallHarness.U(Libc.AT_FDCWD), h.Str("/d"), (ulong)(Libc.O_RDONLY | Libc.O_DIRECTORY));
        int gfd = (int)h.Call(257, SyscallHarness.U(Libc.AT_FDCWD), h.Str("/g"), (ulong)Libc.O_RDONLY);
        Assert.True(dfd >= 0 && gfd >= 0);
        Assert.Equal("/d/f", Resolve(h, "f", dirfd: dfd).AbsolutePath);
        Assert.Equal("/g", Resolve(h, "/g", dirfd: 999).AbsolutePath); // ignored for absolute paths
        Assert.Equal(-Errno.EBADF, Error(h, "f", dirfd: 999));
        Assert.Equal(-Errno.ENOTDIR, Error(h, "f", dirfd: gfd));
    }

    [Fact]
    public void ResolveParentSplitsTheLastComponent()
    {
        using var h = new SyscallHarness();
        h.Fs.AddDirectory("/a/b");
        h.Fs.AddFile("/file", "x"u8);
        Assert.Equal(0, PathResolver.ResolveParent(h.Task, Libc.AT_FDCWD, "/a/b/new", out VfsPath? p, out string name, out bool slash));
        Assert.Equal("/a/b", p!.AbsolutePath);
        Assert.Equal("new", name);
        Assert.False(slash);
        Assert.Equal(0, PathResolver.ResolveParent(h.Task, Libc.AT_FDCWD, "a/newdir//", out p, out name, out slash));
        Assert.Equal("/a", p!.AbsolutePath);
        Assert.Equal("newdir", name);
        Assert.True(slash);
        Assert.Equal(0, PathResolver.ResolveParent(h.Task, Libc.AT_FDCWD, "x", out p, out name));
        Assert.Equal("/", p!.AbsolutePath);
        Assert.Equal("x", name);
        Assert.Equal(0, PathResolver.ResolveParent(h.Task, Libc.AT_FDCWD, "/a/..", out p, out name));
        Assert.Equal("..", name);
        Assert.Equal(-Errno.ENOTDIR, PathResolver.ResolveParent(h.Task, Libc.AT_FDCWD, "/file/x", out _, out _));
        Assert.Equal(-Errno.ENOENT, PathResolver.ResolveParent(h.Task, Libc.AT_FDCWD, "/nope/x", out _, out _));
        Assert.Equal(-Errno.ENOENT, PathResolver.ResolveParent(h.Task, Libc.AT_FDCWD, "", out _, out _));
    }
}
