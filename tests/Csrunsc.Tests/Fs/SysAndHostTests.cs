using System.Text;
using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Host;
using Csrunsc.Sentry.Fs.Sys;
using Csrunsc.Sentry.Vfs;
using Xunit;

namespace Csrunsc.Tests.Fs;

public unsafe class SysAndHostTests
{
    [Fact]
    public void SysCpuFiles()
    {
        var sys = SysFileSystem.Create(4);
        Inode node = sys.Root;
        foreach (var n in "devices/system/cpu/online".Split('/')) Assert.Equal(0, node.Lookup(n, out node!));
        Assert.Equal(0, node.Open(Libc.O_RDONLY, out FileDescription? f));
        var buf = new byte[16];
        long len = f!.Read(null!, buf, -1);
        Assert.Equal("0-3\n", Encoding.ASCII.GetString(buf, 0, (int)len));
        Assert.Equal(-Errno.EROFS, node.Open(Libc.O_WRONLY, out _));
        Assert.Equal(-Errno.EROFS, sys.Root.Mkdir("x", 0x1ED, 0, 0));
    }

    [Fact]
    public void HostPipeStreamsAndNonBlocking()
    {
        int* fds = stackalloc int[2];
        Assert.Equal(0, Libc.Pipe2(fds, Libc.O_CLOEXEC));
        var r = new HostFileDescription(fds[0], Libc.O_RDONLY | Libc.O_NONBLOCK, ownsFd: true);
        var w = new HostFileDescription(fds[1], Libc.O_WRONLY, ownsFd: true);
        Assert.False(r.Seekable);
        Assert.Equal(-1, r.HostFd);
        var buf = new byte[8];
        Assert.Equal(-Errno.EAGAIN, r.Read(null!, buf, -1));
        Assert.Equal(0, r.Readiness(Libc.POLLIN));
        Assert.Equal(3, w.Write(null!, "abc"u8, -1));
        Assert.Equal(Libc.POLLIN, r.Readiness(Libc.POLLIN));
        Assert.Equal(3, r.Read(null!, buf, -1));
        Assert.Equal(-Errno.ESPIPE, r.Read(null!, buf, 0));
        Assert.Equal(-Errno.ENOTTY, r.Ioctl(null!, TerminalIoctl.TCGETS, 0));
        w.DecRef();
        Assert.Equal(0, r.Read(null!, buf, -1));
        r.DecRef();
    }

    [Fact]
    public void HostRegularFilePreadPwrite()
    {
        string path = Path.GetTempFileName();
        try
        {
            int fd = Libc.OpenPath(path, Libc.O_RDWR | Libc.O_CLOEXEC);
            Assert.True(fd >= 0);
            var f = new HostFileDescription(fd, Libc.O_RDWR, ownsFd: true);
            Assert.True(f.Seekable);
            Assert.Equal(fd, f.HostFd);
            Assert.Equal(5, f.Write(null!, "hello"u8, -1));
            Assert.Equal(5, f.Offset);
            Assert.Equal(5, f.Size);
            Assert.Equal(2, f.Write(null!, "XY"u8, 1));
            Assert.Equal(0, f.Seek(0, Libc.SEEK_SET));
            var buf = new byte[8];
            Assert.Equal(5, f.Read(null!, buf, -1));
            Assert.Equal("hXYlo", Encoding.ASCII.GetString(buf, 0, 5));
            Assert.Equal(0, f.Truncate(2));
            Assert.Equal(0, f.GetStat(out StatBuf st));
            Assert.Equal(2, st.Size);
            f.DecRef();
        }
        finally
        {
            File.Delete(path);
        }
    }
}
