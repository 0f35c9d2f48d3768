using Csrunsc.Gofer;
using Csrunsc.Native;
using Xunit;

namespace Csrunsc.Tests.Gofer;

public sealed unsafe class GoferTests
{
    private const uint Keep = uint.MaxValue;

    private static uint AttachRoot(GoferClient c)
    {
        Assert.Equal(0, c.Attach(0, out uint root, out var st));
        Assert.Equal(StatBuf.S_IFDIR, st.Mode & StatBuf.S_IFMT);
        return root;
    }

    private static uint WalkPath(GoferClient c, uint from, string path)
    {
        uint cur = from;
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.Equal(0, c.Walk(cur, part, out cur, out _));
        }
        return cur;
    }

    [Fact]
    public void WalkAndStatMatchTheHostFile()
    {
        using var h = new GoferTestHost();
        Directory.CreateDirectory(h.HostPath("a"));
        File.WriteAllText(h.HostPath("a/b.txt"), "hello gofer");
        var c = h.Client;
        uint root = AttachRoot(c);
        Assert.Equal(0, c.Walk(root, "a", out uint a, out var ast));
        Assert.Equal(StatBuf.S_IFDIR, ast.Mode & StatBuf.S_IFMT);
        Assert.Equal(0, c.Walk(a, "b.txt", out uint b, out var bst));
        Assert.Equal(StatBuf.S_IFREG, bst.Mode & StatBuf.S_IFMT);
        Assert.Equal(11, bst.Size);
        StatBuf host;
        fixed (byte* p = Libc.CString(h.HostPath("a/b.txt"))) Assert.Equal(0, Libc.FStatAt(Libc.AT_FDCWD, p, &host, 0));
        Assert.Equal(host.Ino, bst.Ino);
        Assert.Equal(0, c.Stat(b, out var again));
        Assert.Equal(bst.Ino, again.Ino);
        Assert.Equal(-Errno.ENOENT, c.Walk(a, "missing", out _, out _));
        Assert.Equal(-Errno.ENOTDIR, c.Walk(b, "x", out _, out _));
        Assert.Equal(-Errno.EBADF, c.Stat(12345, out _));
        Assert.Equal(-Errno.ENOENT, c.Attach(7, out _, out _));
    }

    [Fact]
    public void OpenDonatesAHostFdThatReadsTheFile()
    {
        using var h = new GoferTestHost();
        File.WriteAllText(h.HostPath("f.txt"), "contents");
        var c = h.Client;
        uint f = WalkPath(c, AttachRoot(c), "f.txt");
        Assert.Equal(0, c.Open(f, Libc.O_RDONLY, out int fd));
        Assert.True(fd >= 0);
        Assert.Equal("contents", GoferTestHost.ReadAll(fd));
        Assert.Equal(Libc.FD_CLOEXEC, Libc.Fcntl(fd, Libc.F_GETFD, 0) & Libc.FD_CLOEXEC);
        Libc.Close(fd);

        Assert.Equal(0, c.Open(f, Libc.O_WRONLY | Libc.O_TRUNC, out fd));
        GoferTestHost.WriteAll(fd, "new");
        Libc.Close(fd);
        Assert.Equal("new", File.ReadAllText(h.HostPath("f.txt")));

        Assert.Equal(-Errno.EINVAL, c.Open(f, Libc.O_RDONLY | Libc.O_CREAT, out fd));
        Assert.Equal(-1, fd);
        Assert.Equal(-Errno.ENOTDIR, c.Open(f, Libc.O_RDONLY | Libc.O_DIRECTORY, out _));
        uint root = AttachRoot(c);
        Assert.Equal(-Errno.EISDIR, c.Open(root, Libc.O_RDWR, out _));
        // A host directory fd would let the Sentry climb out with openat(fd, ".."): never donated.
        Assert.Equal(-Errno.EISDIR, c.Open(root, Libc.O_RDONLY | Libc.O_DIRECTORY, out int dfd));
        Assert.Equal(-1, dfd);
    }

    [Fact]
    public void CreateWritesThroughTheDonatedFdAndHonoursExcl()
    {
        using var h = new GoferTestHost();
        var c = h.Client;
        uint root = AttachRoot(c);
        Assert.Equal(0, c.Create(root, "new.txt", Libc.O_RDWR | Libc.O_EXCL, 0x1A4 /*0644*/, 1234, 5678, out uint fid, out var st, out int fd));
        Assert.Equal(StatBuf.S_IFREG | 0x1A4u, st.Mode);
        Assert.Equal(1234u, st.Uid);
        Assert.Equal(5678u, st.Gid);
        GoferTestHost.WriteAll(fd, "written");
        Libc.Close(fd);
        Assert.Equal("written", File.ReadAllText(h.HostPath("new.txt")));
        Assert.Equal(0, c.Stat(fid, out st));
        Assert.Equal(7, st.Size);

        Assert.Equal(-Errno.EEXIST, c.Create(root, "new.txt", Libc.O_RDWR | Libc.O_EXCL, 0x1A4, Keep, Keep, out _, out _, out fd));
        Assert.Equal(-1, fd);
        // Without O_EXCL an existing file is opened, not re-owned.
        Assert.Equal(0, c.Create(root, "new.txt", Libc.O_RDONLY, 0x1FF, 0, 0, out _, out st, out fd));
        Assert.Equal(1234u, st.Uid);
        Assert.Equal("written", GoferTestHost.ReadAll(fd));
        Libc.Close(fd);
        Assert.Equal(-Errno.EINVAL, c.Create(root, "../escape", Libc.O_RDWR, 0x1A4, Keep, Keep, out _, out _, out _));
    }

    [Fact]
    public void ReadDirReturnsABigDirectoryOverSeveralBatches()
    {
        using var h = new GoferTestHost();
        var c = h.Client;
        uint root = AttachRoot(c);
        Assert.Equal(0, c.Mkdir(root, "big", 0x1ED /*0755*/, Keep, Keep, out uint big, out var st));
        Assert.Equal(StatBuf.S_IFDIR | 0x1EDu, st.Mode);
        var expected = new HashSet<string>();
        for (int i = 0; i < 1500; i++)
        {
            string name = $"file-{i:D5}-" + new string('x', 60);
            File.WriteAllText(Path.Combine(h.HostPath("big"), name), "");
            expected.Add(name);
        }
        Directory.CreateDirectory(Path.Combine(h.HostPath("big"), "sub"));
        expected.Add("sub");

        var first = new List<GoferDirEntry>();
        int n = c.ReadDirBatch(big, 0, first, out ulong next, out bool eof);
        Assert.True(n > 0 && n < expected.Count, $"first batch had {n} entries");
        Assert.False(eof);
        Assert.NotEqual(0ul, next);

        var all = new List<GoferDirEntry>();
        Assert.Equal(expected.Count, c.ReadDir(big, all));
        Assert.Equal(expected, all.Select(e => e.Name).ToHashSet());
        Assert.Equal(expected.Count, all.Count);
        Assert.Equal(GoferDirEntry.DT_DIR, all.Single(e => e.Name == "sub").Type);
        Assert.All(all.Where(e => e.Name != "sub"), e => Assert.Equal(GoferDirEntry.DT_REG, e.Type));

        // Reading again from the start sees a newly added file.
        File.WriteAllText(Path.Combine(h.HostPath("big"), "late"), "");
        all.Clear();
        Assert.Equal(expected.Count + 1, c.ReadDir(big, all));

        var empty = new List<GoferDirEntry>();
        Assert.Equal(0, c.Mkdir(root, "empty", 0x1ED, Keep, Keep, out uint emptyFid, out _));
        Assert.Equal(0, c.ReadDir(emptyFid, empty));
        Assert.Empty(empty);
        uint file = WalkPath(c, big, "late");
        Assert.Equal(-Errno.ENOTDIR, c.ReadDir(file, empty));
    }

    [Fact]
    public void SymlinksAreReturnedNotFollowed()
    {
        using var h = new GoferTestHost();
        File.CreateSymbolicLink(h.HostPath("etc-link"), "/etc");
        File.CreateSymbolicLink(h.HostPath("up-link"), "../outside");
        var c = h.Client;
        uint root = AttachRoot(c);
        Assert.Equal(0, c.Walk(root, "etc-link", out uint link, out var st));
        Assert.Equal(StatBuf.S_IFLNK, st.Mode & StatBuf.S_IFMT);
        Assert.Equal(0, c.Readlink(link, out string target));
        Assert.Equal("/etc", target);
        // Walking through it is the client's business: the gofer treats it as a non-directory.
        Assert.Equal(-Errno.ENOTDIR, c.Walk(link, "passwd", out _, out _));
        Assert.Equal(-Errno.ELOOP, c.Open(link, Libc.O_RDONLY, out _));
        Assert.Equal(-Errno.ENOTDIR, c.ReadDir(link, []));

        Assert.Equal(0, c.Walk(root, "up-link", out uint up, out st));
        Assert.Equal(StatBuf.S_IFLNK, st.Mode & StatBuf.S_IFMT);
        Assert.Equal(0, c.Readlink(up, out target));
        Assert.Equal("../outside", target);

        Assert.Equal(0, c.Symlink(root, "made", "some/where", Keep, Keep, out uint made, out st));
        Assert.Equal(StatBuf.S_IFLNK, st.Mode & StatBuf.S_IFMT);
        Assert.Equal(0, c.Readlink(made, out target));
        Assert.Equal("some/where", target);
        Assert.Equal("some/where", new FileInfo(h.HostPath("made")).LinkTarget);
        Assert.Equal(-Errno.EINVAL, c.Readlink(root, out _));
        Assert.Equal(-Errno.ENOENT, c.Symlink(root, "empty-target", "", Keep, Keep, out _, out _));
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("/")]
    [InlineData("/etc")]
    [InlineData("a\0b")]
    public void BadNamesAreRejected(string name)
    {
        using var h = new GoferTestHost();
        Directory.CreateDirectory(h.HostPath("a"));
        var c = h.Client;
        uint root = AttachRoot(c);
        Assert.Equal(-Errno.EINVAL, c.Walk(root, name, out _, out _));
        Assert.Equal(-Errno.EINVAL, c.Mkdir(root, name, 0x1ED, Keep, Keep, out _, out _));
        Assert.Equal(-Errno.EINVAL, c.Unlink(root, name, 0));
        Assert.Equal(-Errno.EINVAL, c.Rename(root, "a", root, name));
        Assert.Equal(-Errno.EINVAL, c.Symlink(root, name, "x", Keep, Keep, out _, out _));
        Assert.True(Directory.Exists(h.HostPath("a")));
    }

    [Fact]
    public void LongNamesAreRejected()
    {
        using var h = new GoferTestHost();
        var c = h.Client;
        Assert.Equal(-Errno.ENAMETOOLONG, c.Walk(AttachRoot(c), new string('n', 256), out _, out _));
    }

    [Fact]
    public void ReadOnlyRootAnswersErofsToEveryMutation()
    {
        using var h = new GoferTestHost(rootReadOnly: true);
        File.WriteAllText(h.HostPath("f"), "ro");
        Directory.CreateDirectory(h.HostPath("d"));
        var c = h.Client;
        uint root = AttachRoot(c);
        uint f = WalkPath(c, root, "f");
        Assert.Equal(0, c.Open(f, Libc.O_RDONLY, out int fd));
        Assert.Equal("ro", GoferTestHost.ReadAll(fd));
        Libc.Close(fd);
        Assert.Equal(-Errno.EROFS, c.Open(f, Libc.O_WRONLY, out _));
        Assert.Equal(-Errno.EROFS, c.Open(f, Libc.O_RDWR, out _));
        Assert.Equal(-Errno.EROFS, c.Open(f, Libc.O_RDONLY | Libc.O_TRUNC, out _));
        Assert.Equal(-Errno.EROFS, c.Create(root, "n", Libc.O_RDWR, 0x1A4, Keep, Keep, out _, out _, out _));
        Assert.Equal(-Errno.EROFS, c.Mkdir(root, "n", 0x1ED, Keep, Keep, out _, out _));
        Assert.Equal(-Errno.EROFS, c.Mknod(root, "n", StatBuf.S_IFIFO | 0x1A4, 0, Keep, Keep, out _, out _));
        Assert.Equal(-Errno.EROFS, c.Symlink(root, "n", "t", Keep, Keep, out _, out _));
        Assert.Equal(-Errno.EROFS, c.Link(root, "n", f, out _, out _));
        Assert.Equal(-Errno.EROFS, c.Unlink(root, "f", 0));
        Assert.Equal(-Errno.EROFS, c.Unlink(root, "d", Libc.AT_REMOVEDIR));
        Assert.Equal(-Errno.EROFS, c.Rename(root, "f", root, "g"));
        var attr = new GoferSetAttr { Mask = SetAttrMask.Mode, Mode = 0x1FF };
        Assert.Equal(-Errno.EROFS, c.SetAttr(f, attr, out _));
        Assert.Equal(0, c.StatFs(root, out var fs));
        Assert.Equal(1, fs.Flags & 1);
        Assert.True(File.Exists(h.HostPath("f")));
        Assert.False(File.Exists(h.HostPath("n")));
    }

    [Fact]
    public void UnlinkRenameAndLink()
    {
        using var h = new GoferTestHost();
        Directory.CreateDirectory(h.HostPath("d1"));
        Directory.CreateDirectory(h.HostPath("d2"));
        File.WriteAllText(h.HostPath("d1/x"), "payload");
        var c = h.Client;
        uint root = AttachRoot(c);
        uint d1 = WalkPath(c, root, "d1");
        uint d2 = WalkPath(c, root, "d2");
        uint x = WalkPath(c, d1, "x");

        Assert.Equal(0, c.Rename(d1, "x", d2, "y"));
        Assert.False(File.Exists(h.HostPath("d1/x")));
        Assert.Equal("payload", File.ReadAllText(h.HostPath("d2/y")));
        // A fid held across the rename still opens the same file at its new name.
        Assert.Equal(0, c.Open(x, Libc.O_RDONLY, out int fd));
        Assert.Equal("payload", GoferTestHost.ReadAll(fd));
        Libc.Close(fd);
        Assert.Equal(-Errno.ENOENT, c.Walk(d1, "x", out _, out _));

        Assert.Equal(0, c.Link(d1, "hard", x, out uint hard, out var st));
        Assert.Equal(2ul, st.Nlink);
        Assert.Equal("payload", File.ReadAllText(h.HostPath("d1/hard")));
        Assert.Equal(-Errno.EPERM, c.Link(root, "dirlink", d1, out _, out _));

        File.WriteAllText(h.HostPath("d2/other"), "other");
        Assert.Equal(-Errno.EEXIST, c.Rename(d2, "y", d2, "other", Libc.RENAME_NOREPLACE));
        Assert.Equal(0, c.Rename(d2, "y", d2, "other", Libc.RENAME_EXCHANGE));
        Assert.Equal("other", File.ReadAllText(h.HostPath("d2/y")));
        Assert.Equal(0, c.Open(x, Libc.O_RDONLY, out fd));
        Assert.Equal("payload", GoferTestHost.ReadAll(fd));
        Libc.Close(fd);

        Assert.Equal(0, c.Unlink(d1, "hard", 0));
        Assert.False(File.Exists(h.HostPath("d1/hard")));
        Assert.Equal(-Errno.ENOENT, c.Unlink(d1, "hard", 0));
        // The stale fid no longer names a file at its name.
        Assert.Equal(-Errno.ENOENT, c.Open(hard, Libc.O_RDONLY, out _));
        Assert.Equal(-Errno.EISDIR, c.Unlink(root, "d1", 0));
        Assert.Equal(0, c.Unlink(root, "d1", Libc.AT_REMOVEDIR));
        Assert.False(Directory.Exists(h.HostPath("d1")));
        Assert.Equal(-Errno.ENOTEMPTY, c.Unlink(root, "d2", Libc.AT_REMOVEDIR));
        Assert.Equal(-Errno.EINVAL, c.Unlink(root, "d2", 0x1));
    }

    [Fact]
    public void MknodMakesFifosButNoDevices()
    {
        using var h = new GoferTestHost();
        var c = h.Client;
        uint root = AttachRoot(c);
        Assert.Equal(0, c.Mknod(root, "fifo", StatBuf.S_IFIFO | 0x1A4, 0, Keep, Keep, out uint fifo, out var st));
        Assert.Equal(StatBuf.S_IFIFO, st.Mode & StatBuf.S_IFMT);
        // Opening a FIFO never blocks the gofer (it is opened non-blocking).
        Assert.Equal(0, c.Open(fifo, Libc.O_RDONLY, out int fd));
        Libc.Close(fd);
        Assert.Equal(0, c.Mknod(root, "reg", 0x1A4, 0, Keep, Keep, out _, out st));
        Assert.Equal(StatBuf.S_IFREG, st.Mode & StatBuf.S_IFMT);
        Assert.Equal(-Errno.EPERM, c.Mknod(root, "null", StatBuf.S_IFCHR | 0x1B6, (1 << 8) | 3, Keep, Keep, out _, out _));
        Assert.Equal(-Errno.EPERM, c.Mknod(root, "sda", StatBuf.S_IFBLK | 0x1B6, 8 << 8, Keep, Keep, out _, out _));
        Assert.False(File.Exists(h.HostPath("null")));
    }

    [Fact]
    public void HostDeviceNodesInTheRootfsAreNeverOpened()
    {
        using var h = new GoferTestHost();
        fixed (byte* p = Libc.CString(h.HostPath("null")))
        {
            Assert.Equal(0, Libc.MknodAt(Libc.AT_FDCWD, p, (int)(StatBuf.S_IFCHR | 0x1B6), (1 << 8) | 3));
        }
        var c = h.Client;
        uint dev = WalkPath(c, AttachRoot(c), "null");
        Assert.Equal(-Errno.EPERM, c.Open(dev, Libc.O_RDWR, out _));
    }

    [Fact]
    public void SetAttrChangesModeOwnerSizeAndTimes()
    {
        using var h = new GoferTestHost();
        File.WriteAllText(h.HostPath("f"), "0123456789");
        var c = h.Client;
        uint root = AttachRoot(c);
        uint f = WalkPath(c, root, "f");
        var attr = new GoferSetAttr
        {
            Mask = SetAttrMask.Mode | SetAttrMask.Uid | SetAttrMask.Gid | SetAttrMask.Size | SetAttrMask.Atime | SetAttrMask.Mtime,
            Mode = 0x1C0 /*0700*/, Uid = 4321, Gid = 8765, Size = 4,
            AtimeSec = 1_000_000, AtimeNsec = 5, MtimeSec = 2_000_000, MtimeNsec = GoferSetAttr.UTIME_OMIT,
        };
        Assert.Equal(0, c.SetAttr(f, attr, out var st));
        Assert.Equal(StatBuf.S_IFREG | 0x1C0u, st.Mode);
        Assert.Equal(4321u, st.Uid);
        Assert.Equal(8765u, st.Gid);
        Assert.Equal(4, st.Size);
        Assert.Equal(1_000_000, st.AtimeSec);
        Assert.Equal(5, st.AtimeNsec);
        Assert.NotEqual(2_000_000, st.MtimeSec);

        attr = new GoferSetAttr { Mask = SetAttrMask.Mtime, MtimeSec = 3_000_000, MtimeNsec = 0 };
        Assert.Equal(0, c.SetAttr(f, attr, out st));
        Assert.Equal(3_000_000, st.MtimeSec);
        Assert.Equal(1_000_000, st.AtimeSec); // atime left alone
        Assert.Equal("0123", File.ReadAllText(h.HostPath("f")));

        Assert.Equal(0, c.Symlink(root, "l", "f", Keep, Keep, out uint l, out _));
        Assert.Equal(-Errno.EOPNOTSUPP, c.SetAttr(l, new GoferSetAttr { Mask = SetAttrMask.Mode, Mode = 0x1FF }, out _));
        Assert.Equal(0, c.SetAttr(l, new GoferSetAttr { Mask = SetAttrMask.Uid, Uid = 77 }, out st));
        Assert.Equal(77u, st.Uid);
        Assert.NotEqual(77u, new FileInfo(h.HostPath("f")).Exists ? StatOf(h.HostPath("f")).Uid : 0);
        Assert.Equal(-Errno.EISDIR, c.SetAttr(root, new GoferSetAttr { Mask = SetAttrMask.Size }, out _));
        Assert.Equal(0, c.SetAttr(root, new GoferSetAttr { Mask = SetAttrMask.Mode, Mode = 0x1FD }, out st));
        Assert.Equal(StatBuf.S_IFDIR | 0x1FDu, st.Mode);
    }

    private static StatBuf StatOf(string path)
    {
        StatBuf st;
        fixed (byte* p = Libc.CString(path)) Assert.Equal(0, Libc.FStatAt(Libc.AT_FDCWD, p, &st, Libc.AT_SYMLINK_NOFOLLOW));
        return st;
    }

    [Fact]
    public void BindMountedDirectoriesAndSingleFiles()
    {
        using var h = new GoferTestHost(binds: outside =>
        {
            Directory.CreateDirectory(Path.Combine(outside, "data"));
            File.WriteAllText(Path.Combine(outside, "data", "in.txt"), "in data");
            File.WriteAllText(Path.Combine(outside, "single.conf"), "single");
            File.WriteAllText(Path.Combine(outside, "ro.conf"), "readonly");
            return
            [
                ("/data", Path.Combine(outside, "data"), false),
                ("/etc/single.conf", Path.Combine(outside, "single.conf"), false),
                ("/etc/ro.conf", Path.Combine(outside, "ro.conf"), true),
            ];
        });
        var c = h.Client;
        Assert.Equal(0, c.Attach(1, out uint data, out var st));
        Assert.Equal(StatBuf.S_IFDIR, st.Mode & StatBuf.S_IFMT);
        uint inTxt = WalkPath(c, data, "in.txt");
        Assert.Equal(0, c.Open(inTxt, Libc.O_RDONLY, out int fd));
        Assert.Equal("in data", GoferTestHost.ReadAll(fd));
        Libc.Close(fd);

        Assert.Equal(0, c.Attach(2, out uint single, out st));
        Assert.Equal(StatBuf.S_IFREG, st.Mode & StatBuf.S_IFMT);
        Assert.Equal(0, c.Open(single, Libc.O_RDWR | Libc.O_TRUNC, out fd));
        GoferTestHost.WriteAll(fd, "changed");
        Libc.Close(fd);
        Assert.Equal("changed", File.ReadAllText(Path.Combine(h.Outside, "single.conf")));
        Assert.Equal(-Errno.ENOTDIR, c.Walk(single, "x", out _, out _));

        Assert.Equal(0, c.Attach(3, out uint ro, out _));
        Assert.Equal(-Errno.EROFS, c.Open(ro, Libc.O_WRONLY, out _));
        Assert.Equal(0, c.Open(ro, Libc.O_RDONLY, out fd));
        Assert.Equal("readonly", GoferTestHost.ReadAll(fd));
        Libc.Close(fd);

        // Renaming across attach points is EXDEV, like across mounts.
        uint root = AttachRoot(c);
        Assert.Equal(-Errno.EXDEV, c.Rename(data, "in.txt", root, "in.txt"));
        Assert.Equal(-Errno.EXDEV, c.Link(root, "l", inTxt, out _, out _));
    }

    [Fact]
    public void CloseReleasesFidsButParentsStayUsableForChildren()
    {
        using var h = new GoferTestHost();
        Directory.CreateDirectory(h.HostPath("a/b"));
        File.WriteAllText(h.HostPath("a/b/f"), "deep");
        var c = h.Client;
        uint root = AttachRoot(c);
        uint a = WalkPath(c, root, "a");
        uint b = WalkPath(c, a, "b");
        uint f = WalkPath(c, b, "f");
        Assert.Equal(0, c.Close([root, a, b]));
        Assert.Equal(-Errno.EBADF, c.Stat(a, out _));
        Assert.Equal(0, c.Open(f, Libc.O_RDONLY, out int fd));
        Assert.Equal("deep", GoferTestHost.ReadAll(fd));
        Libc.Close(fd);
        Assert.Equal(0, c.Close(f));
        Assert.Equal(0, c.Close(f)); // unknown fids are ignored
        Assert.Equal(-Errno.EBADF, c.Stat(f, out _));
    }

    [Fact]
    public void ManyThreadsShareOneClient()
    {
        using var h = new GoferTestHost();
        for (int i = 0; i < 8; i++) File.WriteAllText(h.HostPath($"f{i}"), $"content {i}");
        var c = h.Client;
        uint root = AttachRoot(c);
        var errors = new List<string>();
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            for (int i = 0; i < 200; i++)
            {
                if (c.Walk(root, $"f{t}", out uint fid, out var st) != 0 || st.Size != $"content {t}".Length ||
                    c.Open(fid, Libc.O_RDONLY, out int fd) != 0)
                {
                    lock (errors) errors.Add($"thread {t} iteration {i}");
                    return;
                }
                string s = GoferTestHost.ReadAll(fd);
                Libc.Close(fd);
                c.Close(fid);
                if (s != $"content {t}")
                {
                    lock (errors) errors.Add($"thread {t} read {s}");
                    return;
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Empty(errors);
    }

    [Fact]
    public void ADeadGoferGivesEioWithoutHanging()
    {
        using var h = new GoferTestHost();
        var c = h.Client;
        uint root = AttachRoot(c);
        // The gofer "dies": its end of the socket goes away.
        Libc.Syscall(48 /* shutdown */, h.ServerSocket, 2 /* SHUT_RDWR */, 0, 0, 0, 0);
        int result = int.MinValue;
        var call = new Thread(() => result = c.Walk(root, "x", out _, out _)) { IsBackground = true };
        call.Start();
        Assert.True(call.Join(5000), "client call hung on a dead gofer");
        Assert.Equal(-Errno.EIO, result);
        Assert.True(c.IsBroken);
        Assert.Equal(-Errno.EIO, c.Stat(root, out _));
        Assert.Equal(-Errno.EIO, c.ReadDir(root, []));
        Assert.Equal(-Errno.EIO, c.Open(root, Libc.O_RDONLY, out int fd));
        Assert.Equal(-1, fd);
    }

    [Fact]
    public void ServerReturnsZeroWhenTheClientCloses()
    {
        var h = new GoferTestHost();
        try
        {
            AttachRoot(h.Client);
            Assert.True(h.StopAndWait(), "server loop did not end");
            Assert.Equal(0, h.ServeResult);
        }
        finally
        {
            h.Dispose();
        }
    }

    [Fact]
    public void StatFsReportsTheHostFileSystem()
    {
        using var h = new GoferTestHost();
        var c = h.Client;
        Assert.Equal(0, c.StatFs(AttachRoot(c), out var fs));
        Assert.True(fs.BlockSize > 0);
        Assert.True(fs.NameLength > 0);
        Assert.Equal(0, fs.Flags & 1);
    }
}
