using System.Buffers.Binary;
using System.Text;
using Csrunsc.Native;
using Csrunsc.Sentry.Syscalls;
using Xunit;
using static Csrunsc.Tests.Syscalls.SyscallHarness;

namespace Csrunsc.Tests.Syscalls;

public class FileSyscallTests
{
    private const int Read = 0, Write = 1, Close = 3, Stat = 4, Fstat = 5, Lstat = 6, Lseek = 8, Pread = 17, Pwrite = 18,
        Readv = 19, Writev = 20, Access = 21, Dup = 32, Dup2 = 33, Fcntl = 72, Ftruncate = 77, Getcwd = 79, Chdir = 80,
        Rename = 82, Mkdir = 83, Rmdir = 84, Link = 86, Unlink = 87, Symlink = 88, Readlink = 89, Chmod = 90,
        Getdents64 = 217, Openat = 257, Newfstatat = 262, Unlinkat = 263, Renameat2 = 316, Statx = 332, Dup3 = 292,
        Utimensat = 280, Statfs = 137, Truncate = 76, Fchdir = 81;

    private static long Open(SyscallHarness h, string path, int flags, uint mode = 0x1A4) =>
        h.Call(Openat, U(Libc.AT_FDCWD), h.Str(path), (ulong)flags, mode);

    private static StatBuf StatOf(SyscallHarness h, string path, bool follow = true)
    {
        ulong buf = h.Alloc(144);
        Assert.Equal(0, h.Call(follow ? Stat : Lstat, h.Str(path), buf));
        return MemoryMarshalRead<StatBuf>(h.Read(buf, 144));
    }

    private static T MemoryMarshalRead<T>(byte[] b) where T : unmanaged => System.Runtime.InteropServices.MemoryMarshal.Read<T>(b);

    [Fact]
    public void TableRegistersTheFileFamily()
    {
        foreach (int nr in new[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 17, 18, 19, 20, 21, 22, 23, 32, 33, 40, 72, 79, 80, 83, 217, 257, 262, 270, 271, 292, 293, 332, 436, 439 })
            Assert.NotNull(SyscallTable.Get(nr));
        Assert.Equal("read", SyscallTable.Get(0)!.Name);
    }

    [Fact]
    public void CreateWriteSeekReadStat()
    {
        using var h = new SyscallHarness();
        long fd = Open(h, "/f", Libc.O_CREAT | Libc.O_RDWR, 0x1FF);
        Assert.True(fd >= 0);
        ulong data = h.Bytes("hello world"u8);
        Assert.Equal(11, h.Call(Write, (ulong)fd, data, 11));
        Assert.Equal(0, h.Call(Lseek, (ulong)fd, 0, Libc.SEEK_SET));
        ulong buf = h.Alloc(64);
        Assert.Equal(11, h.Call(Read, (ulong)fd, buf, 64));
        Assert.Equal("hello world", h.ReadString(buf, 11));
        Assert.Equal(0, h.Call(Read, (ulong)fd, buf, 64));
        Assert.Equal(5, h.Call(Pread, (ulong)fd, buf, 5, 6));
        Assert.Equal("world", h.ReadString(buf, 5));
        Assert.Equal(3, h.Call(Pwrite, (ulong)fd, h.Bytes("HEL"u8), 3, 0));
        Assert.Equal(11, h.Call(Lseek, (ulong)fd, 0, Libc.SEEK_CUR));
        Assert.Equal(-Errno.EINVAL, h.Call(Lseek, (ulong)fd, U(-1), Libc.SEEK_SET));

        ulong st = h.Alloc(144);
        Assert.Equal(0, h.Call(Fstat, (ulong)fd, st));
        var s = MemoryMarshalRead<StatBuf>(h.Read(st, 144));
        Assert.Equal(11, s.Size);
        Assert.Equal(0x8000u | (0x1FFu & ~0x12u), s.Mode); // umask 022 applied
        Assert.Equal(0, h.Call(Close, (ulong)fd));
        Assert.Equal(-Errno.EBADF, h.Call(Close, (ulong)fd));
        Assert.Equal(-Errno.EBADF, h.Call(Read, (ulong)fd, buf, 1));
    }

    [Fact]
    public void OpenFlags()
    {
        using var h = new SyscallHarness();
        h.Fs.AddFile("/file", "content"u8);
        h.Fs.AddDirectory("/dir");
        h.Fs.AddSymlink("/link", "/file");
        Assert.Equal(-Errno.EEXIST, Open(h, "/file", Libc.O_CREAT | Libc.O_EXCL | Libc.O_WRONLY));
        Assert.Equal(-Errno.ENOTDIR, Open(h, "/file", Libc.O_DIRECTORY));
        Assert.Equal(-Errno.EISDIR, Open(h, "/dir", Libc.O_WRONLY));
        Assert.Equal(-Errno.EISDIR, Open(h, "/dir/", Libc.O_CREAT | Libc.O_WRONLY));
        Assert.Equal(-Errno.ELOOP, Open(h, "/link", Libc.O_RDONLY | Libc.O_NOFOLLOW));
        Assert.Equal(-Errno.ENOENT, Open(h, "/missing", Libc.O_RDONLY));
        Assert.Equal(-Errno.ENOENT, Open(h, "/missing/x", Libc.O_CREAT | Libc.O_WRONLY));
        Assert.True(Open(h, "/dir", Libc.O_RDONLY | Libc.O_DIRECTORY) >= 0);

        long pfd = Open(h, "/link", Libc.O_PATH | Libc.O_NOFOLLOW);
        Assert.True(pfd >= 0);
        Assert.Equal(-Errno.EBADF, h.Call(Read, (ulong)pfd, h.Alloc(8), 8));

        long rfd = Open(h, "/link", Libc.O_RDONLY);
        Assert.Equal(-Errno.EBADF, h.Call(Write, (ulong)rfd, h.Bytes("x"u8), 1));

        long tfd = Open(h, "/file", Libc.O_WRONLY | Libc.O_TRUNC);
        Assert.True(tfd >= 0);
        Assert.Equal(0, StatOf(h, "/file").Size);

        long afd = Open(h, "/file", Libc.O_WRONLY | Libc.O_APPEND);
        Assert.Equal(2, h.Call(Write, (ulong)afd, h.Bytes("ab"u8), 2));
        Assert.Equal(0, h.Call(Lseek, (ulong)afd, 0, Libc.SEEK_SET));
        Assert.Equal(2, h.Call(Write, (ulong)afd, h.Bytes("cd"u8), 2));
        Assert.Equal(4, StatOf(h, "/file").Size);

        long cfd = Open(h, "/cloexec", Libc.O_CREAT | Libc.O_WRONLY | Libc.O_CLOEXEC);
        Assert.Equal(Libc.FD_CLOEXEC, h.Call(Fcntl, (ulong)cfd, Libc.F_GETFD));
    }

    [Fact]
    public void ReadOnlyMountsAnswerErofs()
    {
        using var h = new SyscallHarness();
        var ro = h.MountTmpfs("/ro", readOnly: true);
        ro.AddFile("/f", "x"u8);
        Assert.Equal(-Errno.EROFS, Open(h, "/ro/new", Libc.O_CREAT | Libc.O_WRONLY));
        Assert.Equal(-Errno.EROFS, Open(h, "/ro/f", Libc.O_WRONLY));
        Assert.True(Open(h, "/ro/f", Libc.O_RDONLY) >= 0);
        Assert.Equal(-Errno.EROFS, h.Call(Mkdir, h.Str("/ro/d"), 0x1ED));
        Assert.Equal(-Errno.EROFS, h.Call(Unlink, h.Str("/ro/f")));
        Assert.Equal(-Errno.EROFS, h.Call(Chmod, h.Str("/ro/f"), 0x1FF));
        Assert.Equal(-Errno.EROFS, h.Call(Access, h.Str("/ro/f"), 2));
        Assert.Equal(0, h.Call(Access, h.Str("/ro/f"), 4));
    }

    [Fact]
    public void DirectoriesAndNames()
    {
        using var h = new SyscallHarness();
        Assert.Equal(0, h.Call(Mkdir, h.Str("/d"), 0x1FF));
        Assert.Equal(-Errno.EEXIST, h.Call(Mkdir, h.Str("/d"), 0x1FF));
        Assert.Equal(0x4000u | 0x1EDu, StatOf(h, "/d").Mode);
        Assert.Equal(0, h.Call(Mkdir, h.Str("/d/sub/"), 0x1FF));
        Assert.Equal(-Errno.ENOTEMPTY, h.Call(Rmdir, h.Str("/d")));
        Assert.True(Open(h, "/d/f", Libc.O_CREAT | Libc.O_WRONLY) >= 0);
        Assert.Equal(-Errno.EISDIR, h.Call(Unlink, h.Str("/d/sub")));
        Assert.Equal(-Errno.ENOTDIR, h.Call(Rmdir, h.Str("/d/f")));
        Assert.Equal(-Errno.ENOTDIR, h.Call(Unlink, h.Str("/d/f/")));
        Assert.Equal(-Errno.EINVAL, h.Call(Rmdir, h.Str("/d/.")));

        Assert.Equal(0, h.Call(Rename, h.Str("/d/f"), h.Str("/d/sub/g")));
        Assert.Equal(-Errno.ENOENT, h.Call(Stat, h.Str("/d/f"), h.Alloc(144)));
        Assert.True(Open(h, "/x", Libc.O_CREAT | Libc.O_WRONLY) >= 0);
        Assert.Equal(-Errno.EEXIST, h.Call(Renameat2, U(Libc.AT_FDCWD), h.Str("/x"), U(Libc.AT_FDCWD), h.Str("/d/sub/g"), 1));
        Assert.Equal(0, h.Call(Renameat2, U(Libc.AT_FDCWD), h.Str("/x"), U(Libc.AT_FDCWD), h.Str("/d/sub/g"), 0));

        Assert.Equal(0, h.Call(Link, h.Str("/d/sub/g"), h.Str("/hard")));
        Assert.Equal(2ul, StatOf(h, "/hard").Nlink);
        Assert.Equal(-Errno.EPERM, h.Call(Link, h.Str("/d"), h.Str("/dirlink")));

        Assert.Equal(0, h.Call(Symlink, h.Str("d/sub"), h.Str("/sym")));
        ulong buf = h.Alloc(64);
        Assert.Equal(5, h.Call(Readlink, h.Str("/sym"), buf, 64));
        Assert.Equal("d/sub", h.ReadString(buf, 5));
        Assert.Equal(2, h.Call(Readlink, h.Str("/sym"), buf, 2));
        Assert.Equal(-Errno.EINVAL, h.Call(Readlink, h.Str("/d"), buf, 64));
        Assert.True(FileModeIsSymlink(StatOf(h, "/sym", follow: false).Mode));
        Assert.True(FileModeIsDir(StatOf(h, "/sym").Mode));

        Assert.Equal(0, h.Call(Unlinkat, U(Libc.AT_FDCWD), h.Str("/d/sub/g"), 0));
        Assert.Equal(0, h.Call(Unlinkat, U(Libc.AT_FDCWD), h.Str("/d/sub"), (ulong)Libc.AT_REMOVEDIR));
        Assert.Equal(-Errno.EINVAL, h.Call(Unlinkat, U(Libc.AT_FDCWD), h.Str("/d"), 0x1));
    }

    private static bool FileModeIsSymlink(uint mode) => (mode & 0xF000) == 0xA000;

    private static bool FileModeIsDir(uint mode) => (mode & 0xF000) == 0x4000;

    [Fact]
    public void CwdChdirFchdir()
    {
        using var h = new SyscallHarness();
        h.Fs.AddDirectory("/a/b");
        h.Fs.AddFile("/a/file", "x"u8);
        ulong buf = h.Alloc(256);
        Assert.Equal(2, h.Call(Getcwd, buf, 256));
        Assert.Equal("/\0", h.ReadString(buf, 2));
        Assert.Equal(0, h.Call(Chdir, h.Str("a/b")));
        Assert.Equal(5, h.Call(Getcwd, buf, 256));
        Assert.Equal("/a/b", h.ReadString(buf, 4));
        Assert.Equal(-Errno.ERANGE, h.Call(Getcwd, buf, 4));
        Assert.Equal(-Errno.ENOTDIR, h.Call(Chdir, h.Str("/a/file")));
        long fd = Open(h, "/a", Libc.O_RDONLY | Libc.O_DIRECTORY);
        Assert.Equal(0, h.Call(Fchdir, (ulong)fd));
        Assert.Equal(3, h.Call(Getcwd, buf, 256));
        Assert.True(Open(h, "file", Libc.O_RDONLY) >= 0);
    }

    [Fact]
    public void Getdents64ListsEveryEntryInPieces()
    {
        using var h = new SyscallHarness();
        var names = new HashSet<string> { ".", ".." };
        for (int i = 0; i < 50; i++)
        {
            string n = "entry-with-a-longish-name-" + i;
            h.Fs.AddFile("/d/" + n, "x"u8);
            names.Add(n);
        }
        h.Fs.AddDirectory("/d/subdir");
        names.Add("subdir");
        long fd = Open(h, "/d", Libc.O_RDONLY | Libc.O_DIRECTORY);
        ulong buf = h.Alloc(512);
        Assert.Equal(-Errno.EINVAL, h.Call(Getdents64, (ulong)fd, buf, 10));
        var seen = new List<string>();
        byte subdirType = 0;
        while (true)
        {
            long n = h.Call(Getdents64, (ulong)fd, buf, 512);
            Assert.True(n >= 0);
            if (n == 0) break;
            var b = h.Read(buf, (int)n);
            for (int off = 0; off < n;)
            {
                int reclen = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(off + 16));
                Assert.Equal(0, reclen % 8);
                int end = Array.IndexOf(b, (byte)0, off + 19);
                string name = Encoding.UTF8.GetString(b, off + 19, end - off - 19);
                seen.Add(name);
                if (name == "subdir") subdirType = b[off + 18];
                off += reclen;
            }
        }
        Assert.Equal(names.Count, seen.Count);
        Assert.True(names.SetEquals(seen));
        Assert.Equal(4, subdirType); // DT_DIR
        Assert.Equal(0, h.Call(Lseek, (ulong)fd, 0, Libc.SEEK_SET));
        Assert.True(h.Call(Getdents64, (ulong)fd, buf, 512) > 0);

        long ffd = Open(h, "/d/subdir/../entry-with-a-longish-name-1", Libc.O_RDONLY);
        Assert.Equal(-Errno.ENOTDIR, h.Call(Getdents64, (ulong)ffd, buf, 512));
    }

    [Fact]
    public void DupAndFcntl()
    {
        using var h = new SyscallHarness();
        long fd = Open(h, "/f", Libc.O_CREAT | Libc.O_RDWR);
        long d = h.Call(Dup, (ulong)fd);
        Assert.Equal(fd + 1, d);
        Assert.Equal(10, h.Call(Dup2, (ulong)fd, 10));
        Assert.Equal(10, h.Call(Dup2, 10, 10));
        Assert.Equal(-Errno.EINVAL, h.Call(Dup3, 10, 10, 0));
        Assert.Equal(11, h.Call(Dup3, (ulong)fd, 11, (ulong)Libc.O_CLOEXEC));
        Assert.Equal(Libc.FD_CLOEXEC, h.Call(Fcntl, 11, Libc.F_GETFD));
        Assert.Equal(20, h.Call(Fcntl, (ulong)fd, Libc.F_DUPFD, 20));
        Assert.Equal(21, h.Call(Fcntl, (ulong)fd, Libc.F_DUPFD_CLOEXEC, 20));
        // Shared offset through dup.
        Assert.Equal(3, h.Call(Write, (ulong)fd, h.Bytes("abc"u8), 3));
        Assert.Equal(3, h.Call(Lseek, 10, 0, Libc.SEEK_CUR));
        // F_SETFL changes only O_APPEND/O_NONBLOCK.
        Assert.Equal(0, h.Call(Fcntl, (ulong)fd, Libc.F_SETFL, (ulong)(Libc.O_APPEND | Libc.O_NONBLOCK | Libc.O_RDONLY)));
        long fl = h.Call(Fcntl, 10, Libc.F_GETFL);
        Assert.Equal(Libc.O_RDWR, fl & Libc.O_ACCMODE);
        Assert.NotEqual(0, fl & Libc.O_APPEND);
        Assert.NotEqual(0, fl & Libc.O_NONBLOCK);
        Assert.Equal(0, h.Call(Fcntl, (ulong)fd, 6 /*F_SETLK*/, h.Alloc(32)));
        Assert.Equal(-Errno.EBADF, h.Call(Fcntl, 99, Libc.F_GETFD));
    }

    [Fact]
    public void VectoredIoAcrossBlockBoundaries()
    {
        using var h = new SyscallHarness();
        long fd = Open(h, "/f", Libc.O_CREAT | Libc.O_RDWR);
        // A buffer that straddles a 64 KiB block boundary of guest memory.
        ulong straddle = Base + 0x10000 - 3;
        h.Task.CopyOut(straddle, "0123456789"u8);
        ulong iov = h.Alloc(48);
        ulong second = h.Bytes("ABC"u8);
        var v = new byte[48];
        BinaryPrimitives.WriteUInt64LittleEndian(v, straddle);
        BinaryPrimitives.WriteUInt64LittleEndian(v.AsSpan(8), 10);
        BinaryPrimitives.WriteUInt64LittleEndian(v.AsSpan(16), 0);
        BinaryPrimitives.WriteUInt64LittleEndian(v.AsSpan(24), 0);
        BinaryPrimitives.WriteUInt64LittleEndian(v.AsSpan(32), second);
        BinaryPrimitives.WriteUInt64LittleEndian(v.AsSpan(40), 3);
        h.Task.CopyOut(iov, v);
        Assert.Equal(13, h.Call(Writev, (ulong)fd, iov, 3));
        Assert.Equal(0, h.Call(Lseek, (ulong)fd, 0, Libc.SEEK_SET));
        h.Task.CopyOut(straddle, new byte[10]);
        h.Task.CopyOut(second, new byte[3]);
        Assert.Equal(13, h.Call(Readv, (ulong)fd, iov, 3));
        Assert.Equal("0123456789", h.ReadString(straddle, 10));
        Assert.Equal("ABC", h.ReadString(second, 3));
        Assert.Equal(-Errno.EFAULT, h.Call(Read, (ulong)fd, 0x1000, 4));
        Assert.Equal(-Errno.EINVAL, h.Call(Readv, (ulong)fd, iov, 5000));
    }

    [Fact]
    public void StatVariants()
    {
        using var h = new SyscallHarness();
        h.Fs.AddFile("/f", "12345"u8);
        h.Fs.AddSymlink("/l", "f");
        long fd = Open(h, "/f", Libc.O_RDONLY);
        ulong st = h.Alloc(144);
        Assert.Equal(0, h.Call(Newfstatat, (ulong)fd, h.Str(""), st, (ulong)Libc.AT_EMPTY_PATH));
        Assert.Equal(5, MemoryMarshalRead<StatBuf>(h.Read(st, 144)).Size);
        Assert.Equal(-Errno.ENOENT, h.Call(Newfstatat, (ulong)fd, h.Str(""), st, 0));
        Assert.Equal(0, h.Call(Newfstatat, U(Libc.AT_FDCWD), h.Str("/l"), st, (ulong)Libc.AT_SYMLINK_NOFOLLOW));
        Assert.Equal(1, MemoryMarshalRead<StatBuf>(h.Read(st, 144)).Size);

        ulong sx = h.Alloc(256);
        Assert.Equal(0, h.Call(Statx, U(Libc.AT_FDCWD), h.Str("/l"), 0, 0xFFF, sx));
        var b = h.Read(sx, 256);
        Assert.Equal(0x7FFu, BinaryPrimitives.ReadUInt32LittleEndian(b));
        Assert.Equal((ushort)(0x8000 | 0x1A4), BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x1C)));
        Assert.Equal(5, BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(0x28)));

        ulong sfs = h.Alloc(120);
        Assert.Equal(0, h.Call(Statfs, h.Str("/f"), sfs));
        Assert.Equal(0x01021994, BinaryPrimitives.ReadInt64LittleEndian(h.Read(sfs, 8)));

        Assert.Equal(0, h.Call(Access, h.Str("/f"), 4));
        Assert.Equal(-Errno.EACCES, h.Call(Access, h.Str("/f"), 1)); // no execute bit, even for root
        Assert.Equal(-Errno.ENOENT, h.Call(Access, h.Str("/nope"), 0));
    }

    [Fact]
    public void TruncateChmodUtimens()
    {
        using var h = new SyscallHarness();
        h.Fs.AddFile("/f", "12345"u8);
        Assert.Equal(0, h.Call(Truncate, h.Str("/f"), 2));
        Assert.Equal(2, StatOf(h, "/f").Size);
        long fd = Open(h, "/f", Libc.O_RDONLY);
        Assert.Equal(-Errno.EINVAL, h.Call(Ftruncate, (ulong)fd, 0));
        long wfd = Open(h, "/f", Libc.O_WRONLY);
        Assert.Equal(0, h.Call(Ftruncate, (ulong)wfd, 100));
        Assert.Equal(100, StatOf(h, "/f").Size);
        Assert.Equal(0, h.Call(Chmod, h.Str("/f"), 0x1C0));
        Assert.Equal(0x81C0u, StatOf(h, "/f").Mode);

        ulong times = h.Alloc(32);
        var t = new byte[32];
        BinaryPrimitives.WriteInt64LittleEndian(t, 1000);
        BinaryPrimitives.WriteInt64LittleEndian(t.AsSpan(8), 5);
        BinaryPrimitives.WriteInt64LittleEndian(t.AsSpan(16), 2000);
        BinaryPrimitives.WriteInt64LittleEndian(t.AsSpan(24), (1L << 30) - 2); // UTIME_OMIT
        h.Task.CopyOut(times, t);
        long mtimeBefore = StatOf(h, "/f").MtimeSec;
        Assert.Equal(0, h.Call(Utimensat, U(Libc.AT_FDCWD), h.Str("/f"), times, 0));
        var st = StatOf(h, "/f");
        Assert.Equal(1000, st.AtimeSec);
        Assert.Equal(5, st.AtimeNsec);
        Assert.Equal(mtimeBefore, st.MtimeSec);
    }

    [Fact]
    public void UnprivilegedPermissionChecks()
    {
        using var h = new SyscallHarness(uid: 1000);
        h.Fs.AddFile("/rootonly", "secret"u8, mode: 0x180);
        h.Fs.AddDirectory("/ro-dir", mode: 0x1ED);
        h.Fs.AddDirectory("/mine", mode: 0x1ED, uid: 1000, gid: 1000);
        Assert.Equal(-Errno.EACCES, Open(h, "/rootonly", Libc.O_RDONLY));
        Assert.Equal(-Errno.EACCES, Open(h, "/ro-dir/x", Libc.O_CREAT | Libc.O_WRONLY));
        Assert.Equal(-Errno.EACCES, h.Call(Access, h.Str("/rootonly"), 4));
        Assert.Equal(-Errno.EPERM, h.Call(Chmod, h.Str("/rootonly"), 0x1FF));
        long fd = Open(h, "/mine/x", Libc.O_CREAT | Libc.O_WRONLY);
        Assert.True(fd >= 0);
        var st = StatOf(h, "/mine/x");
        Assert.Equal(1000u, st.Uid);
        Assert.Equal(1000u, st.Gid);
    }
}
