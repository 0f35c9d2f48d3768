using System.Buffers.Binary;
using Csrunsc.Native;
using Xunit;
using static Csrunsc.Tests.Syscalls.SyscallHarness;

namespace Csrunsc.Tests.Syscalls;

public class ReadinessSyscallTests
{
    private const int Read = 0, Write = 1, Poll = 7, Select = 23, Sendfile = 40, Fcntl = 72, Pipe2 = 293, Ppoll = 271,
        Eventfd2 = 290, Pselect6 = 270, Openat = 257, Lseek = 8, Close = 3;

    private static (int R, int W) MakePipe(SyscallHarness h, int flags = 0)
    {
        ulong fds = h.Alloc(8);
        Assert.Equal(0, h.Call(Pipe2, fds, (ulong)flags));
        var b = h.Read(fds, 8);
        return (BinaryPrimitives.ReadInt32LittleEndian(b), BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(4)));
    }

    private static ulong PollFds(SyscallHarness h, params (int Fd, short Events)[] fds)
    {
        ulong a = h.Alloc(8 * fds.Length);
        var b = new byte[8 * fds.Length];
        for (int i = 0; i < fds.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(i * 8), fds[i].Fd);
            BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(i * 8 + 4), fds[i].Events);
        }
        h.Task.CopyOut(a, b);
        return a;
    }

    private static short Revents(SyscallHarness h, ulong pollfds, int i) =>
        BinaryPrimitives.ReadInt16LittleEndian(h.Read(pollfds + (ulong)(i * 8) + 6, 2));

    [Fact]
    public void PipeReadWriteAndPoll()
    {
        using var h = new SyscallHarness();
        var (r, w) = MakePipe(h, Libc.O_NONBLOCK);
        ulong buf = h.Alloc(16);
        Assert.Equal(-Errno.EAGAIN, h.Call(Read, (ulong)r, buf, 16));
        ulong pfds = PollFds(h, (r, Libc.POLLIN), (w, Libc.POLLOUT), (99, Libc.POLLIN), (-1, Libc.POLLIN));
        Assert.Equal(2, h.Call(Poll, pfds, 4, 0));
        Assert.Equal(0, Revents(h, pfds, 0));
        Assert.Equal(Libc.POLLOUT, Revents(h, pfds, 1));
        Assert.Equal(Libc.POLLNVAL, Revents(h, pfds, 2));
        Assert.Equal(0, Revents(h, pfds, 3));

        Assert.Equal(5, h.Call(Write, (ulong)w, h.Bytes("hello"u8), 5));
        Assert.Equal(3, h.Call(Poll, pfds, 4, 0));
        Assert.Equal(Libc.POLLIN, Revents(h, pfds, 0));
        Assert.Equal(5, h.Call(Read, (ulong)r, buf, 16));
        Assert.Equal("hello", h.ReadString(buf, 5));
        Assert.Equal(65536, h.Call(Fcntl, (ulong)r, 1032 /*F_GETPIPE_SZ*/));

        Assert.Equal(0, h.Call(Close, (ulong)w));
        Assert.Equal(0, h.Call(Read, (ulong)r, buf, 16)); // EOF
        pfds = PollFds(h, (r, Libc.POLLIN));
        Assert.Equal(1, h.Call(Poll, pfds, 1, 0));
        Assert.NotEqual(0, Revents(h, pfds, 0) & Libc.POLLHUP);
    }

    [Fact]
    public void WritingToAPipeWithoutReadersRaisesSigpipe()
    {
        using var h = new SyscallHarness();
        var (r, w) = MakePipe(h);
        Assert.Equal(0, h.Call(Close, (ulong)r));
        Assert.Equal(-Errno.EPIPE, h.Call(Write, (ulong)w, h.Bytes("x"u8), 1));
        Assert.NotEqual(0UL, h.Task.Pending.Set & (1UL << (Libc.SIGPIPE - 1)));
    }

    [Fact]
    public void PollTimesOutAndIsWokenByAWriter()
    {
        using var h = new SyscallHarness();
        var (r, w) = MakePipe(h);
        ulong pfds = PollFds(h, (r, Libc.POLLIN));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(0, h.Call(Poll, pfds, 1, 50));
        Assert.True(sw.ElapsedMilliseconds >= 45, $"poll returned after {sw.ElapsedMilliseconds} ms");

        var writeEnd = h.Task.Fds.Get(w)!;
        var writer = new Thread(() =>
        {
            Thread.Sleep(50);
            writeEnd.Write(null!, "x"u8, -1);
        });
        writer.Start();
        sw.Restart();
        Assert.Equal(1, h.Call(Poll, pfds, 1, 10_000));
        Assert.True(sw.ElapsedMilliseconds < 5000);
        Assert.Equal(Libc.POLLIN, Revents(h, pfds, 0));
        writer.Join();
    }

    [Fact]
    public void PpollWithZeroTimeoutAndSignalMask()
    {
        using var h = new SyscallHarness();
        var (r, _) = MakePipe(h);
        ulong pfds = PollFds(h, (r, Libc.POLLIN));
        ulong ts = h.Alloc(16);
        h.Task.CopyOut(ts, new byte[16]);
        ulong mask = h.Alloc(8);
        h.Task.CopyOut(mask, BitConverter.GetBytes(1UL << (Libc.SIGUSR1 - 1)));
        h.Task.SignalMask = 0;
        Assert.Equal(0, h.Call(Ppoll, pfds, 1, ts, mask, 8));
        Assert.Equal(0UL, h.Task.SignalMask); // restored
        Assert.Equal(-Errno.EINVAL, h.Call(Ppoll, pfds, 1, ts, mask, 4));
    }

    [Fact]
    public void SelectReportsReadableAndWritable()
    {
        using var h = new SyscallHarness();
        var (r, w) = MakePipe(h);
        ulong rset = h.Alloc(128), wset = h.Alloc(128), tv = h.Alloc(16);
        h.Task.CopyOut(rset, BitConverter.GetBytes(1UL << r));
        h.Task.CopyOut(wset, BitConverter.GetBytes(1UL << w));
        h.Task.CopyOut(tv, new byte[16]);
        int nfds = Math.Max(r, w) + 1;
        Assert.Equal(1, h.Call(Select, (ulong)nfds, rset, wset, 0, tv));
        Assert.Equal(0UL, BitConverter.ToUInt64(h.Read(rset, 8)));
        Assert.Equal(1UL << w, BitConverter.ToUInt64(h.Read(wset, 8)));

        h.Call(Write, (ulong)w, h.Bytes("x"u8), 1);
        h.Task.CopyOut(rset, BitConverter.GetBytes(1UL << r));
        h.Task.CopyOut(wset, BitConverter.GetBytes(1UL << w));
        Assert.Equal(2, h.Call(Pselect6, (ulong)nfds, rset, wset, 0, tv, 0));
        Assert.Equal(1UL << r, BitConverter.ToUInt64(h.Read(rset, 8)));

        h.Task.CopyOut(rset, BitConverter.GetBytes(1UL << 50));
        Assert.Equal(-Errno.EBADF, h.Call(Select, 51, rset, 0, 0, tv));

        // A 30 ms timeout with nothing ready.
        h.Call(Read, (ulong)r, h.Alloc(8), 8);
        h.Task.CopyOut(rset, BitConverter.GetBytes(1UL << r));
        var t = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(t.AsSpan(8), 30_000);
        h.Task.CopyOut(tv, t);
        Assert.Equal(0, h.Call(Select, (ulong)nfds, rset, 0, 0, tv));
        Assert.Equal(0UL, BitConverter.ToUInt64(h.Read(rset, 8)));
    }

    [Fact]
    public void EventFdCountsAndSemaphoreMode()
    {
        using var h = new SyscallHarness();
        long fd = h.Call(Eventfd2, 3, (ulong)Libc.O_NONBLOCK);
        Assert.True(fd >= 0);
        ulong buf = h.Alloc(8);
        Assert.Equal(8, h.Call(Read, (ulong)fd, buf, 8));
        Assert.Equal(3UL, BitConverter.ToUInt64(h.Read(buf, 8)));
        Assert.Equal(-Errno.EAGAIN, h.Call(Read, (ulong)fd, buf, 8));
        Assert.Equal(-Errno.EINVAL, h.Call(Read, (ulong)fd, buf, 4));
        h.Task.CopyOut(buf, BitConverter.GetBytes(2UL));
        Assert.Equal(8, h.Call(Write, (ulong)fd, buf, 8));
        ulong pfds = PollFds(h, ((int)fd, Libc.POLLIN));
        Assert.Equal(1, h.Call(Poll, pfds, 1, 0));

        long sem = h.Call(Eventfd2, 2, 1 /*EFD_SEMAPHORE*/ | (ulong)Libc.O_NONBLOCK);
        Assert.Equal(8, h.Call(Read, (ulong)sem, buf, 8));
        Assert.Equal(1UL, BitConverter.ToUInt64(h.Read(buf, 8)));
        Assert.Equal(8, h.Call(Read, (ulong)sem, buf, 8));
        Assert.Equal(-Errno.EAGAIN, h.Call(Read, (ulong)sem, buf, 8));
    }

    [Fact]
    public void SendfileCopiesBetweenFiles()
    {
        using var h = new SyscallHarness();
        var data = new byte[200_000];
        new Random(1).NextBytes(data);
        h.Fs.AddFile("/src", data);
        long src = h.Call(Openat, U(Libc.AT_FDCWD), h.Str("/src"), (ulong)Libc.O_RDONLY);
        long dst = h.Call(Openat, U(Libc.AT_FDCWD), h.Str("/dst"), (ulong)(Libc.O_CREAT | Libc.O_WRONLY), 0x1A4);
        Assert.Equal(200_000, h.Call(Sendfile, (ulong)dst, (ulong)src, 0, 1_000_000));
        Assert.Equal(200_000, h.Call(Lseek, (ulong)src, 0, Libc.SEEK_CUR));
        ulong off = h.Alloc(8);
        h.Task.CopyOut(off, BitConverter.GetBytes(100L));
        Assert.Equal(50, h.Call(Sendfile, (ulong)dst, (ulong)src, off, 50));
        Assert.Equal(150L, BitConverter.ToInt64(h.Read(off, 8)));

        Assert.Equal(0, h.Fs.Root.Lookup("dst", out var node));
        Assert.Equal(0, node!.Open(Libc.O_RDONLY, out var f));
        var back = new byte[200_050];
        Assert.Equal(200_050, f!.Read(null!, back, 0));
        Assert.True(back.AsSpan(0, 200_000).SequenceEqual(data));
        Assert.True(back.AsSpan(200_000, 50).SequenceEqual(data.AsSpan(100, 50)));
    }
}
