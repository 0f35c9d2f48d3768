using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Host;

/// <summary>
/// A file description over a host fd: the sandbox's stdio (pipes, a terminal, sockets) and files the
/// gofer opened and donated. Regular files use pread/pwrite at the description's offset; anything
/// else is a stream: tried without blocking (the fd is non-blocking, see <see cref="HostFdImport"/>,
/// or a socket used with MSG_DONTWAIT, or else polled first); a blocking call then waits in the host
/// on the fd itself (<see cref="Kernel.Task.BlockOnHostFd"/>), so it wakes when data arrives and a
/// signal interrupts it. poll/select/epoll register the fd with the <see cref="HostPoller"/>.
/// </summary>
public sealed unsafe class HostFileDescription : FileDescription
{

    private readonly bool _ownsFd;
    private readonly bool _seekable;
    private readonly bool _isTty;
    private readonly bool _hostAppend;
    private readonly uint _hostType;
    private readonly bool _hostNonBlocking;
    private readonly WaitQueue? _queue;
    private int _pollHandle = -1;
    private int _fd;

    /// <param name="hostFd">The host fd; this description closes it on release when ownsFd.</param>
    /// <param name="flags">The guest's open flags (access mode, O_APPEND, O_NONBLOCK).</param>
    /// <param name="ownsFd">False for fds the sandbox must keep (its own stdio).</param>
    /// <param name="inode">The Sentry inode (gofer files) that fstat reports; null to report the host fd's stat.</param>
    public HostFileDescription(int hostFd, int flags, bool ownsFd, Inode? inode = null) : base(inode, flags)
    {
        _fd = hostFd;
        _ownsFd = ownsFd;
        StatBuf st;
        _hostType = Libc.FStat(hostFd, &st) == 0 ? st.Mode & FileMode.TypeMask : 0;
        _seekable = _hostType is FileMode.Regular or FileMode.Block;
        _isTty = !_seekable && Libc.IsATty(hostFd) == 1;
        int hostFlags = Libc.Fcntl(hostFd, Libc.F_GETFL, 0);
        _hostAppend = hostFlags >= 0 && (hostFlags & Libc.O_APPEND) != 0;
        _hostNonBlocking = hostFlags >= 0 && (hostFlags & Libc.O_NONBLOCK) != 0;
        if (!_seekable && _hostType != 0) _queue = new WaitQueue();
    }

    private bool IsSocket => _hostType == FileMode.Socket;

    /// <summary>
    /// For poll/select/epoll: the fd is registered with the poller the first time this is asked
    /// for (blocking reads and writes wait on the fd directly and never need it). Null when the
    /// fd cannot be polled (it is then always ready).
    /// </summary>
    public override WaitQueue? ReadinessQueue
    {
        get
        {
            if (_queue is null) return null;
            if (Volatile.Read(ref _pollHandle) == -1)
            {
                lock (_queue)
                {
                    if (_pollHandle == -1 && _fd >= 0)
                    {
                        int h = HostPoller.Instance.Register(_fd, _queue);
                        _pollHandle = h >= 0 ? h : -2; // -2: not pollable, never ask again
                    }
                }
            }
            return _pollHandle >= 0 ? _queue : null;
        }
    }

    public override bool Seekable => _seekable;

    /// <summary>
    /// The file position lives in the host's open file description, shared with whoever handed us
    /// the fd (the container's stdio redirected to a file by the caller): reads and writes without
    /// an explicit offset use and advance it, exactly as an inherited fd does on Linux.
    /// </summary>
    public bool SharesHostOffset { get; init; }

    public override int HostFd => _seekable ? _fd : -1;

    /// <summary>The caller's pipes and terminals signal I/O; regular files never do.</summary>
    public override bool SignalsIo => _queue is not null;

    public override int HostPollFd => _seekable || _queue is null ? -1 : Volatile.Read(ref _fd);

    /// <summary>The host fd whatever its type (for the syscall layer's splice/sendfile fast paths).</summary>
    public int RawHostFd => _fd;

    public bool IsTerminal => _isTty;

    /// <summary>
    /// What readlink of /proc/PID/fd/N shows for a host fd the caller handed in: pipe:[ino] and
    /// socket:[ino] with the host inode as Linux; a host pty slave as /dev/pts/N (d_path of a
    /// terminal outside the container's root; glibc's ttyname then finds no matching node, so
    /// `tty` says "not a tty" as under runc); the common character devices (/dev/null, ...) by
    /// name; anything else names no host path.
    /// </summary>
    public string ProcLinkTarget
    {
        get
        {
            StatBuf st;
            if (Libc.FStat(Volatile.Read(ref _fd), &st) < 0) return "anon_inode:[unknown]";
            uint major = (uint)((st.Rdev >> 8) & 0xfff), minor = (uint)((st.Rdev & 0xff) | ((st.Rdev >> 12) & 0xfff00));
            return (st.Mode & FileMode.TypeMask) switch
            {
                FileMode.Fifo => $"pipe:[{st.Ino}]",
                FileMode.Socket => $"socket:[{st.Ino}]",
                FileMode.CharDevice when major is >= 136 and <= 143 => $"/dev/pts/{minor}",
                FileMode.CharDevice when HostDevicePath(st.Rdev) is { } dev => dev,
                _ => "anon_inode:[unknown]",
            };
        }
    }

    private static string? HostDevicePath(ulong rdev) => rdev switch
    {
        0x103 => "/dev/null", 0x105 => "/dev/zero", 0x107 => "/dev/full", 0x108 => "/dev/random", 0x109 => "/dev/urandom",
        0x500 => "/dev/tty", 0x501 => "/dev/console",
        _ => null,
    };

    public override long Size
    {
        get
        {
            StatBuf st;
            return Libc.FStat(_fd, &st) == 0 ? st.Size : 0;
        }
    }

    /// <summary>fstat of the host fd itself; -EBADF once released.</summary>
    public int GetHostStat(out StatBuf stat)
    {
        StatBuf st = default;
        int fd = Volatile.Read(ref _fd);
        int r = fd < 0 ? -Errno.EBADF : Libc.FStat(fd, &st) == 0 ? 0 : -Libc.LastErrno;
        stat = st;
        return r;
    }

    public override int GetStat(out StatBuf stat)
    {
        int r = GetHostStat(out StatBuf host);
        if (Inode is null)
        {
            stat = host;
            return r;
        }
        int ir = Inode.GetStat(out stat);
        if (ir < 0 || r < 0 || !_seekable) return ir;
        // The inode names the file (dev, ino, mode, owner); the host fd knows its current size and times.
        stat.Size = host.Size;
        stat.Blocks = host.Blocks;
        stat.AtimeSec = host.AtimeSec;
        stat.AtimeNsec = host.AtimeNsec;
        stat.MtimeSec = host.MtimeSec;
        stat.MtimeNsec = host.MtimeNsec;
        stat.CtimeSec = host.CtimeSec;
        stat.CtimeNsec = host.CtimeNsec;
        return 0;
    }

    public override long Read(Kernel.Task task, Span<byte> buffer, long offset)
    {
        if (!Readable) return -Errno.EBADF;
        if (!_seekable)
        {
            if (offset >= 0) return -Errno.ESPIPE;
            return StreamRead(task, buffer);
        }
        if (offset >= 0) return PRead(buffer, offset);
        if (SharesHostOffset) return RawRead(buffer);
        lock (OffsetLock)
        {
            long n = PRead(buffer, Offset);
            if (n > 0) Offset += n;
            return n;
        }
    }

    public override long Write(Kernel.Task task, ReadOnlySpan<byte> buffer, long offset)
    {
        if (!Writable) return -Errno.EBADF;
        if (!_seekable)
        {
            if (offset >= 0) return -Errno.ESPIPE;
            return StreamWrite(task, buffer);
        }
        bool append = (Flags & Libc.O_APPEND) != 0;
        if (offset >= 0 && !append) return PWrite(buffer, offset);
        if (SharesHostOffset && offset < 0) return RawWrite(buffer);
        lock (OffsetLock)
        {
            long at;
            long n;
            if (append && _hostAppend)
            {
                // The host appends atomically; the new offset is the end after the write.
                n = RawWrite(buffer);
                at = n > 0 ? Size - n : Offset;
            }
            else
            {
                at = append ? Size : Offset;
                n = PWrite(buffer, at);
            }
            if (n > 0 && offset < 0) Offset = at + n;
            return n;
        }
    }

    public override int Truncate(long length)
    {
        if (!_seekable) return -Errno.EINVAL;
        if (!Writable) return -Errno.EINVAL;
        return Libc.FTruncate(_fd, length) == 0 ? 0 : -Libc.LastErrno;
    }

    /// <summary>fallocate on the host file: every mode the host filesystem has, with its answers.</summary>
    public override int Allocate(int mode, long offset, long length)
    {
        if (!_seekable) return -Errno.ESPIPE;
        while (true)
        {
            if (Libc.FAllocate(_fd, mode, offset, length) == 0) return 0;
            if (Libc.LastErrno != Errno.EINTR) return -Libc.LastErrno;
        }
    }

    /// <summary>SEEK_DATA/SEEK_HOLE asked of the host file (the host offset is this description's only when it shares it).</summary>
    public override long FindDataOrHole(long offset, bool data)
    {
        if (!_seekable) return -Errno.ESPIPE;
        if (offset < 0) return -Errno.ENXIO;
        long r = Libc.LSeek(_fd, offset, data ? 3 : 4);
        return r < 0 ? -Libc.LastErrno : r;
    }

    public override int Sync() => Libc.FSync(_fd) == 0 || Libc.LastErrno == Errno.EINVAL ? 0 : -Libc.LastErrno;

    public override short Readiness(short mask)
    {
        if (_seekable) return (short)(mask & (Libc.POLLIN | Libc.POLLOUT));
        var pfd = new PollFd { Fd = _fd, Events = (short)(mask & (Libc.POLLIN | Libc.POLLOUT | Libc.POLLPRI | Libc.POLLRDHUP)) };
        int r = Libc.Poll(&pfd, 1, 0);
        if (r <= 0) return 0;
        return (short)(pfd.REvents & (mask | Libc.POLLHUP | Libc.POLLERR));
    }

    /// <summary>Terminal ioctls: TCGETS/TCSETS*/TIOCGWINSZ/TIOCSWINSZ pass through; job-control ones are ENOTTY (not the controlling terminal).</summary>
    public override int Ioctl(Kernel.Task task, ulong request, ulong arg)
    {
        switch (request)
        {
            case TerminalIoctl.FIONREAD:
                if (_seekable) return -Errno.ENOTTY;
                return PassThrough(task, request, arg, sizeof(int), copyIn: false, copyOut: true);
            case TerminalIoctl.TCGETS:
                return _isTty ? PassThrough(task, request, arg, TerminalIoctl.TermiosSize, copyIn: false, copyOut: true) : -Errno.ENOTTY;
            case TerminalIoctl.TCSETS:
            case TerminalIoctl.TCSETSW:
            case TerminalIoctl.TCSETSF:
                return _isTty ? PassThrough(task, request, arg, TerminalIoctl.TermiosSize, copyIn: true, copyOut: false) : -Errno.ENOTTY;
            case TerminalIoctl.TIOCGWINSZ:
                return _isTty ? PassThrough(task, request, arg, TerminalIoctl.WinsizeSize, copyIn: false, copyOut: true) : -Errno.ENOTTY;
            case TerminalIoctl.TIOCSWINSZ:
                return _isTty ? PassThrough(task, request, arg, TerminalIoctl.WinsizeSize, copyIn: true, copyOut: false) : -Errno.ENOTTY;
            case TerminalIoctl.TIOCGPGRP:
            case TerminalIoctl.TIOCSPGRP:
                // A host terminal is never the guest's controlling terminal (a container process
                // without process.terminal starts in a session of its own, as runc's setsid), and
                // Linux answers ENOTTY for a terminal that is not the caller's controlling one.
                return -Errno.ENOTTY;
            default:
                return -Errno.ENOTTY;
        }
    }

    protected override void OnRelease()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0 && _queue is not null)
        {
            lock (_queue) HostPoller.Instance.Unregister(_pollHandle, fd);
        }
        if (_ownsFd && fd >= 0) Libc.Close(fd);
        // Writes, truncation or fallocate through this fd changed the file behind the inode's cached stat.
        if (Writable && fd >= 0) Inode?.ContentsMayHaveChanged();
    }

    private int PassThrough(Kernel.Task task, ulong request, ulong arg, int size, bool copyIn, bool copyOut)
    {
        Span<byte> buf = stackalloc byte[64];
        buf = buf[..size];
        buf.Clear();
        if (copyIn)
        {
            int c = task.CopyIn(arg, buf);
            if (c < 0) return c;
        }
        fixed (byte* p = buf)
        {
            if (Libc.Ioctl(_fd, request, p) < 0) return -Libc.LastErrno;
        }
        return copyOut ? task.CopyOut(arg, buf) : 0;
    }

    private long PRead(Span<byte> buffer, long offset)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = Libc.PRead(_fd, p, buffer.Length, offset);
                if (n >= 0) return n;
                if (Libc.LastErrno != Errno.EINTR) return -Libc.LastErrno;
            }
        }
    }

    private long PWrite(ReadOnlySpan<byte> buffer, long offset)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = Libc.PWrite(_fd, p, buffer.Length, offset);
                if (n >= 0) return n;
                if (Libc.LastErrno != Errno.EINTR) return -Libc.LastErrno;
            }
        }
    }

    public override long Seek(long offset, int whence)
    {
        if (!SharesHostOffset) return base.Seek(offset, whence);
        long r = Libc.LSeek(_fd, offset, whence);
        return r < 0 ? -Libc.LastErrno : r;
    }

    private long RawRead(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = Libc.Read(_fd, p, buffer.Length);
                if (n >= 0) return n;
                if (Libc.LastErrno != Errno.EINTR) return -Libc.LastErrno;
            }
        }
    }

    private long RawWrite(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = Libc.Write(_fd, p, buffer.Length);
                if (n >= 0) return n;
                if (Libc.LastErrno != Errno.EINTR) return -Libc.LastErrno;
            }
        }
    }

    private long StreamRead(Kernel.Task task, Span<byte> buffer)
    {
        if (buffer.Length == 0) return 0;
        fixed (byte* p = buffer)
        {
            while (true)
            {
                long n = TryRead(p, buffer.Length);
                if (n != -Errno.EAGAIN || NonBlocking) return n;
                int r = Sleep(task, Libc.POLLIN);
                if (r < 0) return r;
            }
        }
    }

    /// <summary>
    /// A blocking guest write returns when all of it is written (or with what was written when a
    /// signal interrupts); a non-blocking one writes what fits now.
    /// </summary>
    private long StreamWrite(Kernel.Task task, ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length == 0) return 0;
        long done = 0;
        fixed (byte* p = buffer)
        {
            while (done < buffer.Length)
            {
                long n = TryWrite(p + done, buffer.Length - (int)done);
                if (n > 0)
                {
                    done += n;
                    if (NonBlocking) break;
                    continue;
                }
                if (n != -Errno.EAGAIN || NonBlocking) return done > 0 ? done : n;
                int r = Sleep(task, Libc.POLLOUT);
                if (r < 0) return done > 0 ? done : r;
            }
        }
        return done;
    }

    /// <summary>Blocks in the host until the fd has the event (or hangs up); -ERESTARTSYS when interrupted.</summary>
    private int Sleep(Kernel.Task task, short events)
    {
        int r = task.BlockOnHostFd(_fd, events, long.MaxValue);
        return r == -Errno.ETIMEDOUT ? 0 : r;
    }

    /// <summary>One read that never blocks the task's thread: bytes, 0 at EOF, -EAGAIN or -errno.</summary>
    private long TryRead(byte* p, int length)
    {
        while (true)
        {
            nint n;
            if (IsSocket) n = Libc.Recv(_fd, p, length, Libc.MSG_DONTWAIT);
            else if (_hostNonBlocking || HostReady(Libc.POLLIN)) n = Libc.Read(_fd, p, length);
            else return -Errno.EAGAIN;
            if (n >= 0) return n;
            int e = Libc.LastErrno;
            if (e == Errno.EINTR) continue;
            // A terminal whose other side is gone reads as EOF, as Linux gives a hung-up tty's reader.
            if (e == Errno.EIO && _isTty) return 0;
            return -e;
        }
    }

    private long TryWrite(byte* p, int length)
    {
        while (true)
        {
            nint n;
            if (IsSocket) n = Libc.Send(_fd, p, length, Libc.MSG_DONTWAIT | Libc.MSG_NOSIGNAL);
            else if (_hostNonBlocking) n = Libc.Write(_fd, p, length);
            // A blocking host fd: only as much as a pipe takes without blocking once it says POLLOUT.
            else if (HostReady(Libc.POLLOUT)) n = Libc.Write(_fd, p, Math.Min(length, Fs.Pipe.Pipe.PipeBuf));
            else return -Errno.EAGAIN;
            if (n >= 0) return n;
            int e = Libc.LastErrno;
            if (e == Errno.EINTR) continue;
            return -e;
        }
    }

    /// <summary>Whether the host fd has the event (or a hang-up/error the next call reports) right now.</summary>
    private bool HostReady(short events)
    {
        var pfd = new PollFd { Fd = _fd, Events = events };
        return Libc.Poll(&pfd, 1, 0) > 0;
    }
}
