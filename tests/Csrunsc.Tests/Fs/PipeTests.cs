using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Pipe;
using Csrunsc.Sentry.Fs.Tmpfs;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;
using Xunit;

namespace Csrunsc.Tests.Fs;

public class PipeTests
{
    [Fact]
    public void NonBlockingReadWriteEofAndEpipe()
    {
        Pipe.Create(out FileDescription r, out FileDescription w, Libc.O_NONBLOCK);
        var buf = new byte[16];
        Assert.Equal(-Errno.EAGAIN, r.Read(null!, buf, -1));
        Assert.Equal(Libc.POLLOUT, w.Readiness(Libc.POLLOUT));
        Assert.Equal(0, r.Readiness(Libc.POLLIN));
        Assert.Equal(5, w.Write(null!, "hello"u8, -1));
        Assert.Equal(Libc.POLLIN, r.Readiness(Libc.POLLIN));
        Assert.Equal(3, r.Read(null!, buf.AsSpan(0, 3), -1));
        Assert.Equal(2, r.Read(null!, buf, -1));
        Assert.Equal("lo", System.Text.Encoding.ASCII.GetString(buf, 0, 2));
        Assert.Equal(-Errno.ESPIPE, r.Read(null!, buf, 0));
        Assert.Equal(-Errno.ESPIPE, r.Seek(0, Libc.SEEK_SET));
        Assert.Equal(-Errno.EBADF, r.Write(null!, buf, -1));

        w.Write(null!, "x"u8, -1);
        w.DecRef();
        Assert.Equal(Libc.POLLIN | Libc.POLLHUP, r.Readiness(Libc.POLLIN));
        Assert.Equal(1, r.Read(null!, buf, -1));
        Assert.Equal(0, r.Read(null!, buf, -1)); // EOF
        r.DecRef();

        Pipe.Create(out r, out w, Libc.O_NONBLOCK);
        r.DecRef();
        Assert.Equal(-Errno.EPIPE, w.Write(null!, "x"u8, -1));
        Assert.Equal(Libc.POLLERR, w.Readiness(Libc.POLLOUT) & Libc.POLLERR);
    }

    [Fact]
    public void AtomicWritesAndPartialLargeWrites()
    {
        Pipe.Create(out FileDescription r, out FileDescription w, Libc.O_NONBLOCK);
        var chunk = new byte[Pipe.DefaultCapacity - 100];
        Assert.Equal(chunk.Length, w.Write(null!, chunk, -1));
        // 200 bytes ≤ PIPE_BUF do not fit in the 100 left: all or nothing.
        Assert.Equal(-Errno.EAGAIN, w.Write(null!, new byte[200], -1));
        Assert.Equal(0, w.Readiness(Libc.POLLOUT));
        // A large write takes what fits.
        Assert.Equal(100, w.Write(null!, new byte[10_000], -1));
        Assert.Equal(-Errno.EAGAIN, w.Write(null!, new byte[10_000], -1));
        var drain = new byte[Pipe.DefaultCapacity];
        Assert.Equal(Pipe.DefaultCapacity, r.Read(null!, drain, -1));
        Assert.Equal(200, w.Write(null!, new byte[200], -1));
    }

    [Fact]
    public void RingWrapsAround()
    {
        Pipe.Create(out FileDescription r, out FileDescription w, Libc.O_NONBLOCK);
        var data = new byte[50_000];
        var back = new byte[50_000];
        for (int round = 0; round < 5; round++)
        {
            new Random(round).NextBytes(data);
            Assert.Equal(data.Length, w.Write(null!, data, -1));
            Assert.Equal(data.Length, r.Read(null!, back, -1));
            Assert.True(data.AsSpan().SequenceEqual(back));
        }
    }

    [Fact]
    public void StatIsFifoOnPipefs()
    {
        Pipe.Create(out FileDescription r, out FileDescription w, 0);
        Assert.Equal(0, r.GetStat(out StatBuf a));
        Assert.Equal(0, w.GetStat(out StatBuf b));
        Assert.Equal(FileMode.Fifo, a.Mode & FileMode.TypeMask);
        Assert.Equal(a.Ino, b.Ino);
        Assert.Equal(PipeFileSystem.Instance.Dev, a.Dev);
        Pipe.Create(out FileDescription r2, out _, 0);
        r2.GetStat(out StatBuf c);
        Assert.NotEqual(a.Ino, c.Ino);
        Assert.False(r.Seekable);
    }

    [Fact]
    public void BlockingReaderWokenByWriterAndLargeWriteCompletes()
    {
        var kernel = FsTestTasks.NewKernel();
        var reader = FsTestTasks.NewTask(kernel, 10);
        var writer = FsTestTasks.NewTask(kernel, 11);
        Pipe.Create(out FileDescription r, out FileDescription w, 0);
        var payload = new byte[300_000];
        new Random(3).NextBytes(payload);
        long wrote = 0;
        var t = new Thread(() => wrote = w.Write(writer, payload, -1));
        t.Start();
        var got = new MemoryStream();
        var buf = new byte[7000];
        while (got.Length < payload.Length)
        {
            long n = r.Read(reader, buf, -1);
            Assert.True(n > 0);
            got.Write(buf, 0, (int)n);
        }
        Assert.True(t.Join(10_000));
        Assert.Equal(payload.Length, wrote);
        Assert.True(payload.AsSpan().SequenceEqual(got.ToArray()));
        var closer = new Thread(() => { Thread.Sleep(50); w.DecRef(); });
        closer.Start();
        Assert.Equal(0, r.Read(reader, buf, -1));
        closer.Join();
    }

    [Fact]
    public void BlockedReaderIsInterrupted()
    {
        var kernel = FsTestTasks.NewKernel();
        var reader = FsTestTasks.NewTask(kernel, 20);
        Pipe.Create(out FileDescription r, out FileDescription w, 0);
        var t = new Thread(() => { Thread.Sleep(50); reader.Interrupt(); });
        t.Start();
        Assert.Equal(-Errno.ERESTARTSYS, r.Read(reader, new byte[4], -1));
        t.Join();
        GC.KeepAlive(w);
    }

    [Fact]
    public void NamedFifoInTmpfs()
    {
        var fs = new TmpfsFileSystem();
        Assert.Equal(0, fs.Root.Mknod("fifo", FileMode.Fifo | 0x1A4, 0, 0, 0));
        Assert.Equal(0, fs.Root.Lookup("fifo", out Inode? node));
        Assert.Equal(-Errno.ENXIO, node!.Open(Libc.O_WRONLY | Libc.O_NONBLOCK, out _));
        Assert.Equal(0, node.Open(Libc.O_RDONLY | Libc.O_NONBLOCK, out FileDescription? r));
        Assert.Equal(0, node.Open(Libc.O_WRONLY | Libc.O_NONBLOCK, out FileDescription? w));
        Assert.Equal(2, w!.Write(null!, "hi"u8, -1));
        var buf = new byte[2];
        Assert.Equal(2, r!.Read(null!, buf, -1));
        r.GetStat(out StatBuf st);
        Assert.Equal(fs.Dev, st.Dev);
        Assert.Equal(FileMode.Fifo | 0x1A4, st.Mode);
    }
}
