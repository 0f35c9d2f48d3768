using System.Buffers.Binary;
using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Socket;
using Csrunsc.Sentry.Syscalls.Socket;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>
/// Moving bytes between a file and guest memory. Seekable files are read and written straight
/// from and into the guest's memory, one contiguous span at a time; sockets go through the socket
/// calls (read is recvmsg, write is sendmsg: a datagram stays one message); other stream files
/// (pipes, terminals) get one call per syscall so that a read never blocks after it has data and a small
/// write stays atomic, through <see cref="Task.Scratch"/> when the guest buffer is not contiguous.
/// </summary>
internal static class FileIo
{
    /// <summary>Linux caps one read/write at MAX_RW_COUNT (INT_MAX rounded down to a page).</summary>
    public const long MaxRwCount = 0x7FFFF000;

    /// <summary>Most iovecs one readv/writev takes (UIO_MAXIOV).</summary>
    public const int MaxIov = 1024;

    /// <summary>A read syscall's result: IN_ACCESS once bytes moved (vfs_read's fsnotify_access).</summary>
    public static long Accessed(FileDescription f, long n)
    {
        if (n > 0 && Vfs.Inotify.Fsnotify.Active) Vfs.Inotify.Fsnotify.Accessed(f);
        return n;
    }

    /// <summary>A write syscall's result: IN_MODIFY once bytes moved (vfs_write's fsnotify_modify).</summary>
    public static long Modified(FileDescription f, long n)
    {
        if (n > 0 && Vfs.Inotify.Fsnotify.Active) Vfs.Inotify.Fsnotify.Modified(f);
        return n;
    }

    /// <summary>Reads up to len bytes into guest memory at addr; offset &lt; 0 uses the file offset.</summary>
    public static long ReadToGuest(Task t, FileDescription f, ulong addr, long len, long offset)
    {
        if (len <= 0) return len == 0 ? 0 : -Errno.EINVAL;
        if (len > MaxRwCount) len = MaxRwCount;
        if (f is SocketFile socket) return SysSocketMessages.Read(t, socket, addr, len);
        if (!f.Seekable) return ReadStream(t, f, addr, len);
        if (f.Inode?.SharedPages is not null) Csrunsc.Sentry.Memory.SharedPages.BeforeFileRead(f);
        long done = 0;
        while (done < len)
        {
            if (!t.Mm.TryGetSpan(addr + (ulong)done, (int)Math.Min(len - done, int.MaxValue), true, out Span<byte> span))
                return done > 0 ? done : -Errno.EFAULT;
            long n = f.Read(t, span, offset < 0 ? -1 : offset + done);
            if (n < 0) return done > 0 ? done : n;
            done += n;
            if (n < span.Length) break;
        }
        return done;
    }

    /// <summary>Writes up to len bytes from guest memory at addr; offset &lt; 0 uses the file offset.</summary>
    public static long WriteFromGuest(Task t, FileDescription f, ulong addr, long len, long offset)
    {
        // A zero-length write to a socket still sends (an empty datagram); a read of nothing reads nothing.
        if (f is SocketFile socket && len >= 0) return SysSocketMessages.Write(t, socket, addr, Math.Min(len, MaxRwCount));
        if (len <= 0) return len == 0 ? 0 : -Errno.EINVAL;
        if (len > MaxRwCount) len = MaxRwCount;
        if (f.Seekable) FilePermissions.RemovePrivs(t, f.Inode, f.Location);
        long r = f.Seekable ? WriteSeekable(t, f, addr, len, offset) : WriteStream(t, f, addr, len);
        if (r == -Errno.EPIPE && f.SignalsBrokenPipe) t.SendSignalToSelf(Libc.SIGPIPE);
        return r;
    }

    private static long WriteSeekable(Task t, FileDescription f, ulong addr, long len, long offset, bool first = true)
    {
        // RLIMIT_FSIZE on regular files: shortened to the limit, EFBIG + SIGXFSZ at it.
        if (f.Inode is { } inode && Vfs.FileMode.IsRegular(inode.Mode) && Kernel.Rlimits.Cur(t.ThreadGroup, Kernel.Rlimits.FSIZE) != Kernel.Rlimits.Infinity)
        {
            long pos = offset >= 0 ? offset : ((f.Flags & Libc.O_APPEND) != 0 ? f.Size : f.Offset);
            if (!first && (ulong)pos >= Kernel.Rlimits.Cur(t.ThreadGroup, Kernel.Rlimits.FSIZE)) return 0;
            len = Kernel.Rlimits.CheckFileSize(t, pos, len);
            if (len < 0) return len;
        }
        long done = 0;
        while (done < len)
        {
            if (!t.Mm.TryGetSpan(addr + (ulong)done, (int)Math.Min(len - done, int.MaxValue), false, out Span<byte> span))
                return done > 0 ? done : -Errno.EFAULT;
            long n = f.Write(t, span, offset < 0 ? -1 : offset + done);
            if (n < 0) return done > 0 ? done : n;
            if (f.Inode?.SharedPages is not null) Csrunsc.Sentry.Memory.SharedPages.AfterFileWrite(f, offset < 0 ? f.Offset - n : offset + done, n);
            done += n;
            if (n < span.Length) break;
        }
        return done;
    }

    private static long ReadStream(Task t, FileDescription f, ulong addr, long len)
    {
        byte[] scratch = t.Scratch;
        int want = (int)Math.Min(len, scratch.Length);
        if (!t.Mm.TryGetSpan(addr, want, true, out Span<byte> span)) return -Errno.EFAULT;
        if (span.Length == want || span.Length == len) return f.Read(t, span, -1);
        // The guest buffer crosses a block boundary: read once into the scratch buffer.
        long n = f.Read(t, scratch.AsSpan(0, want), -1);
        if (n <= 0) return n;
        int r = t.CopyOut(addr, scratch.AsSpan(0, (int)n));
        return r < 0 ? r : n;
    }

    /// <summary>
    /// A stream write that moved done bytes before a chunk failed answers done; a broken pipe still
    /// raises SIGPIPE, as one pipe_write call does when the last reader leaves mid-write.
    /// </summary>
    private static long PartialBeforeError(Task t, FileDescription f, long done, long error)
    {
        if (error == -Errno.EPIPE && f.SignalsBrokenPipe) t.SendSignalToSelf(Libc.SIGPIPE);
        return done;
    }

    private static long WriteStream(Task t, FileDescription f, ulong addr, long len)
    {
        byte[] scratch = t.Scratch;
        long done = 0;
        while (done < len)
        {
            int want = (int)Math.Min(len - done, scratch.Length);
            ulong at = addr + (ulong)done;
            long n;
            if (t.Mm.TryGetSpan(at, want, false, out Span<byte> span) && span.Length == want)
            {
                n = f.Write(t, span, -1);
            }
            else
            {
                int c = t.CopyIn(at, scratch.AsSpan(0, want));
                if (c < 0) return done > 0 ? done : c;
                n = f.Write(t, scratch.AsSpan(0, want), -1);
            }
            if (n < 0) return done > 0 ? PartialBeforeError(t, f, done, n) : n;
            done += n;
            if (n < want) break;
        }
        return done;
    }

    /// <summary>
    /// import_iovec's checks before any byte moves: the array readable (EFAULT), no negative
    /// length (EINVAL), every buffer inside the user address range (EFAULT, access_ok).
    /// </summary>
    public static int CheckIovecs(Task t, ulong iovAddr, int iovCnt)
    {
        Span<byte> iov = stackalloc byte[16];
        long total = 0;
        for (int i = 0; i < iovCnt; i++)
        {
            if (t.CopyIn(iovAddr + (ulong)i * 16, iov) < 0) return -Errno.EFAULT;
            ulong b = BinaryPrimitives.ReadUInt64LittleEndian(iov);
            long l = (long)BinaryPrimitives.ReadUInt64LittleEndian(iov[8..]);
            if (l < 0) return -Errno.EINVAL;
            l = Math.Min(l, MaxRwCount - total);
            if (b > Kernel.Ptrace.PtraceAbi.TaskSizeMax || (ulong)l > Kernel.Ptrace.PtraceAbi.TaskSizeMax - b) return -Errno.EFAULT;
            total += l;
        }
        return 0;
    }

    /// <summary>readv/preadv: fills the iovecs in order, stopping at a short read.</summary>
    public static long ReadVector(Task t, FileDescription f, ulong iovAddr, int iovCnt, long offset)
    {
        if (iovCnt < 0 || iovCnt > MaxIov) return -Errno.EINVAL;
        int bad = CheckIovecs(t, iovAddr, iovCnt);
        if (bad < 0) return bad;
        if (f is SocketFile socket) return SysSocketMessages.ReadVector(t, socket, iovAddr, iovCnt);
        if (!f.Seekable) return ReadVectorStream(t, f, iovAddr, iovCnt);
        Span<byte> iov = stackalloc byte[16];
        long done = 0;
        for (int i = 0; i < iovCnt; i++)
        {
            if (t.CopyIn(iovAddr + (ulong)i * 16, iov) < 0) return done > 0 ? done : -Errno.EFAULT;
            ulong b = BinaryPrimitives.ReadUInt64LittleEndian(iov);
            long l = (long)BinaryPrimitives.ReadUInt64LittleEndian(iov[8..]);
            if (l < 0) return done > 0 ? done : -Errno.EINVAL;
            if (l == 0) continue;
            l = Math.Min(l, MaxRwCount - done);
            long n = ReadToGuest(t, f, b, l, offset < 0 ? -1 : offset + done);
            if (n < 0) return done > 0 ? done : n;
            done += n;
            if (n < l || done >= MaxRwCount) break;
        }
        return done;
    }

    /// <summary>writev/pwritev: writes the iovecs in order, stopping at a short write.</summary>
    public static long WriteVector(Task t, FileDescription f, ulong iovAddr, int iovCnt, long offset)
    {
        if (iovCnt < 0 || iovCnt > MaxIov) return -Errno.EINVAL;
        int bad = CheckIovecs(t, iovAddr, iovCnt);
        if (bad < 0) return bad;
        if (f is SocketFile socket) return SysSocketMessages.WriteVector(t, socket, iovAddr, iovCnt);
        if (f.Seekable && iovCnt > 0) FilePermissions.RemovePrivs(t, f.Inode, f.Location);
        long r = f.Seekable ? WriteVectorSeekable(t, f, iovAddr, iovCnt, offset) : WriteVectorStream(t, f, iovAddr, iovCnt);
        if (r == -Errno.EPIPE && f.SignalsBrokenPipe) t.SendSignalToSelf(Libc.SIGPIPE);
        return r;
    }

    private static long WriteVectorSeekable(Task t, FileDescription f, ulong iovAddr, int iovCnt, long offset)
    {
        Span<byte> iov = stackalloc byte[16];
        long done = 0;
        for (int i = 0; i < iovCnt; i++)
        {
            if (t.CopyIn(iovAddr + (ulong)i * 16, iov) < 0) return done > 0 ? done : -Errno.EFAULT;
            ulong b = BinaryPrimitives.ReadUInt64LittleEndian(iov);
            long l = (long)BinaryPrimitives.ReadUInt64LittleEndian(iov[8..]);
            if (l < 0) return done > 0 ? done : -Errno.EINVAL;
            if (l == 0) continue;
            l = Math.Min(l, MaxRwCount - done);
            long n = WriteSeekable(t, f, b, l, offset < 0 ? -1 : offset + done, first: done == 0);
            if (n < 0) return done > 0 ? done : n;
            done += n;
            if (n < l || done >= MaxRwCount) break;
        }
        return done;
    }

    /// <summary>Stream readv: one read into the scratch buffer, scattered over the iovecs.</summary>
    private static long ReadVectorStream(Task t, FileDescription f, ulong iovAddr, int iovCnt)
    {
        Span<byte> iov = stackalloc byte[16];
        byte[] scratch = t.Scratch;
        long total = 0;
        for (int i = 0; i < iovCnt && total < scratch.Length; i++)
        {
            if (t.CopyIn(iovAddr + (ulong)i * 16, iov) < 0) return -Errno.EFAULT;
            long l = (long)BinaryPrimitives.ReadUInt64LittleEndian(iov[8..]);
            if (l < 0) return -Errno.EINVAL;
            total += l;
        }
        if (total == 0) return 0;
        int want = (int)Math.Min(total, scratch.Length);
        long n = f.Read(t, scratch.AsSpan(0, want), -1);
        if (n <= 0) return n;
        int copied = 0;
        for (int i = 0; i < iovCnt && copied < n; i++)
        {
            if (t.CopyIn(iovAddr + (ulong)i * 16, iov) < 0) return copied > 0 ? copied : -Errno.EFAULT;
            ulong b = BinaryPrimitives.ReadUInt64LittleEndian(iov);
            int l = (int)Math.Min((long)BinaryPrimitives.ReadUInt64LittleEndian(iov[8..]), n - copied);
            if (l == 0) continue;
            if (t.CopyOut(b, scratch.AsSpan(copied, l)) < 0) return copied > 0 ? copied : -Errno.EFAULT;
            copied += l;
        }
        return copied;
    }

    /// <summary>Stream writev: gathers up to a scratch buffer's worth per write call.</summary>
    private static long WriteVectorStream(Task t, FileDescription f, ulong iovAddr, int iovCnt)
    {
        Span<byte> iov = stackalloc byte[16];
        byte[] scratch = t.Scratch;
        long done = 0;
        int fill = 0;
        for (int i = 0; i < iovCnt; i++)
        {
            if (t.CopyIn(iovAddr + (ulong)i * 16, iov) < 0) return done > 0 ? done : -Errno.EFAULT;
            ulong b = BinaryPrimitives.ReadUInt64LittleEndian(iov);
            long l = (long)BinaryPrimitives.ReadUInt64LittleEndian(iov[8..]);
            if (l < 0) return done > 0 ? done : -Errno.EINVAL;
            long taken = 0;
            while (taken < l)
            {
                int c = (int)Math.Min(l - taken, scratch.Length - fill);
                if (t.CopyIn(b + (ulong)taken, scratch.AsSpan(fill, c)) < 0)
                {
                    if (fill == 0) return done > 0 ? done : -Errno.EFAULT;
                    l = taken; // write what was gathered, then stop
                    i = iovCnt;
                    break;
                }
                fill += c;
                taken += c;
                if (fill == scratch.Length)
                {
                    long n = f.Write(t, scratch.AsSpan(0, fill), -1);
                    if (n < 0) return done > 0 ? PartialBeforeError(t, f, done, n) : n;
                    done += n;
                    if (n < fill) return done;
                    fill = 0;
                }
            }
        }
        if (fill > 0)
        {
            long n = f.Write(t, scratch.AsSpan(0, fill), -1);
            if (n < 0) return done > 0 ? done : n;
            done += n;
        }
        return done;
    }
}
