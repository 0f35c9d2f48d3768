namespace Csrunsc.Native;

/// <summary>
/// An append-only log file with a size cap: when a write would take it past
/// <see cref="MaxBytes"/>, its content moves to PATH.1 (replacing the previous one) and the file
/// starts again empty. Both files are opened when the log is opened, so rotation needs only the
/// two fds (pread, pwrite, ftruncate): a process that chroots, leaves the host's mount namespace or
/// drops to a uid that may not write the directory keeps rotating (the Sentry and the gofer).
/// Thread-safe; one writer process per file (the names carry the pid).
/// </summary>
public sealed unsafe class RotatingLogFile
{
    public const long DefaultMaxBytes = 16L << 20;

    private readonly object _lock = new();
    private readonly int _fd;
    private readonly int _previousFd;
    private readonly int _readFd;
    private long _size;

    private RotatingLogFile(string path, int fd, int previousFd, int readFd, long size, long maxBytes)
    {
        Path = path;
        _fd = fd;
        _previousFd = previousFd;
        _readFd = readFd;
        _size = size;
        MaxBytes = maxBytes;
    }

    public string Path { get; }

    public long MaxBytes { get; }

    /// <summary>How many times the content moved to PATH.1.</summary>
    public int Rotations { get; private set; }

    /// <summary>Opens (creating, appending) PATH and PATH.1 (truncated), mode 0644, close-on-exec; null with errno on failure.</summary>
    public static RotatingLogFile? Open(string path, long maxBytes, out int errno)
    {
        errno = 0;
        int fd = Libc.OpenPath(path, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_APPEND | Libc.O_CLOEXEC, 0x1A4);
        if (fd < 0)
        {
            errno = Libc.LastErrno;
            return null;
        }
        int previous = Libc.OpenPath(path + ".1", Libc.O_WRONLY | Libc.O_CREAT | Libc.O_TRUNC | Libc.O_CLOEXEC, 0x1A4);
        if (previous < 0)
        {
            errno = Libc.LastErrno;
            Libc.Close(fd);
            return null;
        }
        int reader = Libc.OpenPath(path, Libc.O_RDONLY | Libc.O_CLOEXEC);
        StatBuf st;
        long size = Libc.FStat(fd, &st) == 0 ? st.Size : 0;
        return new RotatingLogFile(path, fd, previous, reader, size, Math.Max(maxBytes, 4096));
    }

    /// <summary>The fd lines are appended to (for a child's stderr, say: it then bypasses the cap).</summary>
    public int Fd => _fd;

    public void Write(string text) => Write(System.Text.Encoding.UTF8.GetBytes(text));

    public void Write(ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            if (_size > 0 && _size + data.Length > MaxBytes) Rotate();
            if (Libc.WriteAll(_fd, data)) _size += data.Length;
        }
    }

    /// <summary>Copies the file into PATH.1 and empties it (logrotate's copytruncate, on fds only).</summary>
    private void Rotate()
    {
        if (_readFd < 0) return;
        if (Libc.FTruncate(_previousFd, 0) < 0) return;
        var buffer = new byte[64 << 10];
        fixed (byte* b = buffer)
        {
            long at = 0;
            while (true)
            {
                nint n = Libc.PRead(_readFd, b, buffer.Length, at);
                if (n < 0 && Libc.LastErrno == Errno.EINTR) continue;
                if (n <= 0) break;
                for (nint done = 0; done < n;)
                {
                    nint w = Libc.PWrite(_previousFd, b + done, n - done, at + done);
                    if (w < 0 && Libc.LastErrno == Errno.EINTR) continue;
                    if (w <= 0) return; // PATH.1 is short; PATH is kept as it is
                    done += w;
                }
                at += n;
            }
        }
        if (Libc.FTruncate(_fd, 0) == 0)
        {
            _size = 0;
            Rotations++;
        }
    }
}
