using System.Text;
using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Tmpfs;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;
using Xunit;

namespace Csrunsc.Tests.Fs;

public class TmpfsTests
{
    private static Inode Child(Inode dir, string name)
    {
        Assert.Equal(0, dir.Lookup(name, out Inode? c));
        return c!;
    }

    private static StatBuf Stat(Inode i)
    {
        Assert.Equal(0, i.GetStat(out StatBuf st));
        return st;
    }

    [Fact]
    public void CreateWriteReadSeek()
    {
        var fs = new TmpfsFileSystem();
        Assert.Equal(0, fs.Root.Create("a", Libc.O_RDWR, 0x1A4, 1000, 1000, out Inode? node, out FileDescription? f));
        Assert.Equal(5, f!.Write(null!, "hello"u8, -1));
        Assert.Equal(6, f.Write(null!, " world"u8, -1));
        Assert.Equal(0, f.Seek(0, Libc.SEEK_SET));
        var buf = new byte[64];
        Assert.Equal(11, f.Read(null!, buf, -1));
        Assert.Equal("hello world", Encoding.ASCII.GetString(buf, 0, 11));
        Assert.Equal(0, f.Read(null!, buf, -1));
        Assert.Equal(3, f.Read(null!, buf.AsSpan(0, 3), 6));
        Assert.Equal("wor", Encoding.ASCII.GetString(buf, 0, 3));
        var st = Stat(node!);
        Assert.Equal(11, st.Size);
        Assert.Equal(FileMode.Regular | 0x1A4, st.Mode);
        Assert.Equal(1000u, st.Uid);
        Assert.Equal(1UL, st.Nlink);
        Assert.Equal(fs.Dev, st.Dev);
        Assert.Equal(11, f.Seek(0, Libc.SEEK_END));
        Assert.Equal(-Errno.EEXIST, fs.Root.Create("a", Libc.O_RDWR, 0x1A4, 0, 0, out _, out _));
        f.DecRef();
    }

    [Fact]
    public void SparseAndLargeWritesSpanChunks()
    {
        var fs = new TmpfsFileSystem();
        fs.Root.Create("big", Libc.O_RDWR, 0x1A4, 0, 0, out _, out FileDescription? f);
        var data = new byte[200_000];
        new Random(1).NextBytes(data);
        Assert.Equal(data.Length, f!.Write(null!, data, 100_000));
        Assert.Equal(300_000, f.Size);
        var back = new byte[300_000];
        Assert.Equal(300_000, f.Read(null!, back, 0));
        Assert.True(back.AsSpan(0, 100_000).IndexOfAnyExcept((byte)0) < 0);
        Assert.True(back.AsSpan(100_000).SequenceEqual(data));
        Assert.Equal(0, f.Truncate(150_001));
        Assert.Equal(0, f.Truncate(400_000));
        Assert.Equal(400_000, f.Read(null!, back = new byte[400_000], 0));
        Assert.True(back.AsSpan(100_000, 50_001).SequenceEqual(data.AsSpan(0, 50_001)));
        Assert.True(back.AsSpan(150_001).IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void AppendAndTruncOnOpen()
    {
        var fs = new TmpfsFileSystem();
        var file = fs.AddFile("x", "abc"u8);
        Assert.Equal(0, file.Open(Libc.O_WRONLY | Libc.O_APPEND, out FileDescription? f));
        Assert.Equal(2, f!.Write(null!, "de"u8, -1));
        Assert.Equal(5, file.Size);
        Assert.Equal(0, file.Open(Libc.O_WRONLY | Libc.O_TRUNC, out FileDescription? g));
        Assert.Equal(0, file.Size);
        Assert.Equal(-Errno.EBADF, g!.Read(null!, new byte[4], -1));
    }

    [Fact]
    public void ReadDirLinkUnlinkRmdir()
    {
        var fs = new TmpfsFileSystem();
        var root = fs.Root;
        Assert.Equal(0, root.Mkdir("d", 0x1ED, 0, 0));
        Assert.Equal(3UL, Stat(root).Nlink);
        var d = Child(root, "d");
        Assert.Equal(2UL, Stat(d).Nlink);
        d.Create("f", Libc.O_RDWR, 0x1A4, 0, 0, out Inode? f, out FileDescription? fd);
        Assert.Equal(0, root.Link("hard", f!));
        Assert.Equal(2UL, Stat(f!).Nlink);
        Assert.Equal(-Errno.EPERM, root.Link("dirlink", d));
        Assert.Equal(0, root.Symlink("s", "d/f", 0, 0));
        Assert.Equal(0, Child(root, "s").ReadLink(out string? target));
        Assert.Equal("d/f", target);

        var names = new List<DirEntry>();
        Assert.Equal(0, root.ReadDir(names));
        Assert.Equal(["d", "hard", "s"], names.Select(e => e.Name).Order().ToArray());
        Assert.Equal(4, names.Single(e => e.Name == "d").Type);
        Assert.Equal(10, names.Single(e => e.Name == "s").Type);

        Assert.Equal(-Errno.ENOTEMPTY, root.Unlink("d", dir: true));
        Assert.Equal(-Errno.EISDIR, root.Unlink("d", dir: false));
        Assert.Equal(-Errno.ENOTDIR, root.Unlink("hard", dir: true));
        Assert.Equal(0, d.Unlink("f", dir: false));
        Assert.Equal(1UL, Stat(f!).Nlink);
        Assert.Equal(0, root.Unlink("d", dir: true));
        Assert.Equal(2UL, Stat(root).Nlink);
        Assert.Equal(-Errno.ENOENT, d.Mkdir("x", 0x1ED, 0, 0));
        Assert.Equal(-Errno.ENOENT, root.Lookup("d", out _));

        // Data survives while a link remains; the open description still reads after the last unlink.
        fd!.Write(null!, "xyz"u8, 0);
        Assert.Equal(0, root.Unlink("hard", dir: false));
        var buf = new byte[3];
        Assert.Equal(3, fd.Read(null!, buf, 0));
        fd.DecRef();
    }

    [Fact]
    public void RenameRules()
    {
        var fs = new TmpfsFileSystem();
        var root = fs.Root;
        root.Mkdir("a", 0x1ED, 0, 0);
        root.Mkdir("b", 0x1ED, 0, 0);
        var a = Child(root, "a");
        a.Mkdir("sub", 0x1ED, 0, 0);
        var sub = Child(a, "sub");
        root.Create("f", Libc.O_RDWR, 0x1A4, 0, 0, out Inode? f, out _);
        root.Create("g", Libc.O_RDWR, 0x1A4, 0, 0, out Inode? g, out _);

        Assert.Equal(-Errno.EINVAL, root.Rename("a", sub, "x"));
        Assert.Equal(-Errno.EISDIR, root.Rename("f", root, "a"));
        Assert.Equal(-Errno.ENOTDIR, root.Rename("a", root, "f"));
        Assert.Equal(-Errno.ENOTEMPTY, root.Rename("b", root, "a"));
        Assert.Equal(-Errno.ENOENT, root.Rename("nope", root, "x"));

        Assert.Equal(0, root.Rename("f", root, "g")); // over an existing file
        Assert.Same(f, Child(root, "g"));
        Assert.Equal(0UL, Stat(g!).Nlink);
        Assert.Equal(-Errno.ENOENT, root.Lookup("f", out _));

        Assert.Equal(0, a.Rename("sub", Child(root, "b"), "moved"));
        Assert.Equal(2UL, Stat(a).Nlink);
        Assert.Equal(3UL, Stat(Child(root, "b")).Nlink);
        Assert.Equal(0, root.Rename("a", root, "b2"));
        Assert.Equal(-Errno.ENOTEMPTY, root.Rename("b2", root, "b"));
        Assert.Equal(-Errno.EXDEV, root.Rename("g", new TmpfsFileSystem().Root, "g"));
    }

    [Fact]
    public void SetAttrModeOwnerSizeTimes()
    {
        var fs = new TmpfsFileSystem();
        var file = fs.AddFile("f", "0123456789"u8);
        var req = new SetAttrRequest
        {
            Mask = SetAttrRequest.ModeBit | SetAttrRequest.UidBit | SetAttrRequest.GidBit | SetAttrRequest.SizeBit |
                SetAttrRequest.AtimeBit | SetAttrRequest.MtimeBit,
            Mode = 0x1C0, Uid = 5, Gid = 6, Size = 4,
            Atime = new Timespec { Sec = 100, Nsec = 1 },
            Mtime = new Timespec { Sec = 200, Nsec = SetAttrRequest.UtimeOmit },
        };
        Assert.Equal(0, file.SetAttr(req));
        var st = Stat(file);
        Assert.Equal(FileMode.Regular | 0x1C0, st.Mode);
        Assert.Equal(5u, st.Uid);
        Assert.Equal(6u, st.Gid);
        Assert.Equal(4, st.Size);
        Assert.Equal(100, st.AtimeSec);
        Assert.NotEqual(200, st.MtimeSec);
        Assert.Equal(-Errno.EISDIR, fs.Root.SetAttr(new SetAttrRequest { Mask = SetAttrRequest.SizeBit }));
    }

    [Fact]
    public void ReadOnlyRefusesMutationButPrepopulates()
    {
        var fs = new TmpfsFileSystem("sysfs", readOnly: true);
        var file = fs.AddFile("a/b/c", "x"u8);
        fs.AddSymlink("a/l", "b");
        Assert.Equal(-Errno.EROFS, fs.Root.Mkdir("m", 0x1ED, 0, 0));
        Assert.Equal(-Errno.EROFS, file.Open(Libc.O_WRONLY, out _));
        Assert.Equal(0, file.Open(Libc.O_RDONLY, out _));
        Assert.Equal(-Errno.EROFS, Child(fs.Root, "a").Unlink("l", false));
    }

    [Fact]
    public void HostFdMovesContentsToMemfd()
    {
        var fs = new TmpfsFileSystem();
        var file = fs.AddFile("m", "memfd!"u8);
        file.Open(Libc.O_RDWR, out FileDescription? f);
        int fd = f!.HostFd;
        Assert.True(fd >= 0);
        var buf = new byte[6];
        Assert.Equal(6, f.Read(null!, buf, 0));
        Assert.Equal("memfd!", Encoding.ASCII.GetString(buf));
        Assert.Equal(2, f.Write(null!, "??"u8, 6));
        Assert.Equal(8, file.Size);
        f.DecRef();
    }

    [Fact]
    public void DirectoryOpenAndGetdents()
    {
        var fs = new TmpfsFileSystem();
        fs.AddDirectory("x/y");
        Assert.Equal(-Errno.EISDIR, fs.Root.Open(Libc.O_RDWR, out _));
        Assert.Equal(0, fs.Root.Open(Libc.O_RDONLY | Libc.O_DIRECTORY, out FileDescription? d));
        var seen = new List<string>();
        Assert.Equal(3, d!.NextDirEntries((e, _) => { seen.Add(e.Name); return true; }));
        Assert.Equal([".", "..", "x"], seen);
    }
}
