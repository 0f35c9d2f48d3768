using Csrunsc.Native;
using Csrunsc.Sentry.Fs;
using Csrunsc.Sentry.Fs.Dev;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;
using Xunit;

namespace Csrunsc.Tests.Fs;

public class DevTests
{
    private static FileDescription Open(Inode root, string name, int flags)
    {
        Assert.Equal(0, root.Lookup(name, out Inode? node));
        Assert.Equal(0, node!.Open(flags, out FileDescription? f));
        return f!;
    }

    [Fact]
    public void NullZeroFull()
    {
        var dev = DevFileSystem.Create();
        var buf = new byte[16];
        Array.Fill(buf, (byte)7);

        var nul = Open(dev.Root, "null", Libc.O_RDWR);
        Assert.Equal(0, nul.Read(null!, buf, -1));
        Assert.Equal(16, nul.Write(null!, buf, -1));

        var zero = Open(dev.Root, "zero", Libc.O_RDWR);
        Assert.Equal(16, zero.Read(null!, buf, -1));
        Assert.True(buf.All(b => b == 0));
        Assert.Equal(3, zero.Write(null!, "abc"u8, -1));

        var full = Open(dev.Root, "full", Libc.O_RDWR);
        Assert.Equal(-Errno.ENOSPC, full.Write(null!, "abc"u8, -1));
        Assert.Equal(16, full.Read(null!, buf, -1));

        var rnd = Open(dev.Root, "urandom", Libc.O_RDONLY);
        var big = new byte[4096];
        Assert.Equal(4096, rnd.Read(null!, big, -1));
        Assert.Contains(big, b => b != 0);
    }

    [Fact]
    public void NodesHaveLinuxNumbersAndLinks()
    {
        var dev = DevFileSystem.Create();
        (string, uint, uint)[] expect = [("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8), ("urandom", 1, 9), ("tty", 5, 0)];
        foreach (var (name, major, minor) in expect)
        {
            Assert.Equal(0, dev.Root.Lookup(name, out Inode? n));
            n!.GetStat(out StatBuf st);
            Assert.Equal(FileMode.CharDevice | 0x1B6, st.Mode);
            Assert.Equal(major, DeviceNumber.Major(st.Rdev));
            Assert.Equal(minor, DeviceNumber.Minor(st.Rdev));
        }
        foreach (var (name, target) in new[] { ("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2"), ("ptmx", "pts/ptmx") })
        {
            Assert.Equal(0, dev.Root.Lookup(name, out Inode? n));
            Assert.Equal(0, n!.ReadLink(out string? t));
            Assert.Equal(target, t);
        }
        foreach (var dir in new[] { "pts", "shm", "mqueue" })
        {
            Assert.Equal(0, dev.Root.Lookup(dir, out Inode? n));
            Assert.True(n!.IsDirectory);
        }
        Assert.Equal(0, dev.Root.Lookup("tty", out Inode? tty));
        Assert.Equal(-Errno.ENXIO, tty!.Open(Libc.O_RDWR, out _));
    }

    [Fact]
    public void MknodInTmpfsReachesTheSameDriver()
    {
        DevFileSystem.RegisterDrivers();
        var tmp = new Csrunsc.Sentry.Fs.Tmpfs.TmpfsFileSystem();
        Assert.Equal(0, tmp.Root.Mknod("mynull", FileMode.CharDevice | 0x1B6, DeviceNumber.Make(1, 3), 0, 0));
        var f = Open(tmp.Root, "mynull", Libc.O_WRONLY);
        Assert.Equal(5, f.Write(null!, "hello"u8, -1));
        Assert.Equal(0, tmp.Root.Mknod("blk", FileMode.Block | 0x1B6, DeviceNumber.Make(8, 0), 0, 0));
        Assert.Equal(0, tmp.Root.Lookup("blk", out Inode? blk));
        Assert.Equal(-Errno.ENXIO, blk!.Open(Libc.O_RDONLY, out _));
    }
}
