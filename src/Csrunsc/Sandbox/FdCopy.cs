using Csrunsc.Native;

namespace Csrunsc.Sandbox;

/// <summary>Copy loops of the runtime's own stdio relays (<see cref="ConsoleProxy"/>, <see cref="StdioPipes"/>): retrying EINTR, waiting out EAGAIN.</summary>
public static unsafe class FdCopy
{
    /// <summary>Writes all count bytes; false when the fd refuses (EPIPE, EIO, closed).</summary>
    public static bool WriteAll(int fd, byte* p, int count)
    {
        while (count > 0)
        {
            nint n = Libc.Write(fd, p, count);
            if (n < 0 && Libc.LastErrno == Errno.EINTR) continue;
            if (n < 0 && Libc.LastErrno == Errno.EAGAIN)
            {
                var pfd = new PollFd { Fd = fd, Events = Libc.POLLOUT };
                Libc.Poll(&pfd, 1, -1);
                continue;
            }
            if (n <= 0) return false;
            p += n;
            count -= (int)n;
        }
        return true;
    }

    /// <summary>One read, waiting for data on a non-blocking fd; 0 at EOF, -errno on failure.</summary>
    public static nint Read(int fd, byte* p, int count)
    {
        while (true)
        {
            nint n = Libc.Read(fd, p, count);
            if (n >= 0) return n;
            int e = Libc.LastErrno;
            if (e == Errno.EINTR) continue;
            if (e != Errno.EAGAIN) return -e;
            var pfd = new PollFd { Fd = fd, Events = Libc.POLLIN };
            Libc.Poll(&pfd, 1, -1);
        }
    }

    /// <summary>from to to until from ends or to refuses.</summary>
    public static void Pump(int from, int to)
    {
        byte[] buf = new byte[16 * 1024];
        fixed (byte* p = buf)
        {
            while (true)
            {
                nint n = Read(from, p, buf.Length);
                if (n <= 0 || !WriteAll(to, p, (int)n)) return;
            }
        }
    }
}
