using System.Buffers.Binary;
using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Pipe;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>
/// splice, tee, vmsplice and copy_file_range as fs/splice.c and fs/read_write.c have them, over
/// the Sentry's pipes: bytes move through the task's scratch buffer, and a pipe's bytes are taken
/// only once the other side has accepted them. A pipe end waits for data or room unless it is
/// O_NONBLOCK or SPLICE_F_NONBLOCK is given; a splice from a pipe that has moved some bytes does
/// not wait for more (splice_from_pipe_next).
/// </summary>
internal static class SysSplice
{
    private const uint SPLICE_F_MOVE = 1, SPLICE_F_NONBLOCK = 2, SPLICE_F_MORE = 4, SPLICE_F_GIFT = 8;
    private const uint SpliceAll = SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT;

    public static long Splice(Task t, in SyscallArguments a)
    {
        int inFd = a.Int(0), outFd = a.Int(2);
        ulong offInAddr = a.A1, offOutAddr = a.A3;
        long len = (long)Math.Min(a.A4, (ulong)FileIo.MaxRwCount);
        uint flags = (uint)a.A5;
        if (len == 0) return 0;
        if ((flags & ~SpliceAll) != 0) return -Errno.EINVAL;
        var input = t.Fds.GetRef(inFd);
        if (input is null) return -Errno.EBADF;
        var output = t.Fds.GetRef(outFd);
        if (output is null)
        {
            input.DecRef();
            return -Errno.EBADF;
        }
        try
        {
            var inPipe = (input as PipeFileDescription)?.Pipe;
            var outPipe = (output as PipeFileDescription)?.Pipe;
            if (inPipe is not null && offInAddr != 0) return -Errno.ESPIPE;
            if (outPipe is not null && offOutAddr != 0) return -Errno.ESPIPE;
            long offOut = -1, offIn = -1;
            if (offOutAddr != 0 && t.ReadStruct(offOutAddr, out offOut) < 0) return -Errno.EFAULT;
            if (offInAddr != 0 && t.ReadStruct(offInAddr, out offIn) < 0) return -Errno.EFAULT;
            if (!input.Readable || !output.Writable) return -Errno.EBADF;
            bool nonBlocking = (flags & SPLICE_F_NONBLOCK) != 0;
            long r;
            if (inPipe is not null && outPipe is not null)
            {
                if (ReferenceEquals(inPipe, outPipe)) return -Errno.EINVAL;
                r = PipeToPipe(t, inPipe, outPipe, len, nonBlocking || input.NonBlocking || output.NonBlocking, consume: true);
            }
            else if (inPipe is not null)
            {
                if (offOutAddr != 0)
                {
                    if (!output.Seekable) return -Errno.EINVAL;
                    if (offOut < 0) return -Errno.EINVAL;
                }
                if ((output.Flags & Libc.O_APPEND) != 0) return -Errno.EINVAL;
                if (output.Inode is { } oi && oi.IsDirectory) return -Errno.EINVAL;
                // rw_verify_area: the range may not pass the largest offset; RLIMIT_FSIZE for regular files.
                long at = offOutAddr != 0 ? offOut : output.Offset;
                if (output.Seekable && at + len < 0) return -Errno.EINVAL;
                if (output.Inode is { } ro && Vfs.FileMode.IsRegular(ro.Mode))
                {
                    len = Kernel.Rlimits.CheckFileSize(t, at, len);
                    if (len < 0) return len;
                }
                r = PipeToFile(t, inPipe, output, offOut, len, nonBlocking || input.NonBlocking);
                if (r > 0 && offOutAddr != 0)
                {
                    long next = offOut + r;
                    if (t.WriteStruct(offOutAddr, in next) < 0) return -Errno.EFAULT;
                }
            }
            else if (outPipe is not null)
            {
                if (offInAddr != 0)
                {
                    if (!input.Seekable) return -Errno.EINVAL;
                    if (offIn < 0) return -Errno.EINVAL;
                }
                if (input.Inode is { } ii && ii.IsDirectory) return -Errno.EINVAL;
                if (input.Seekable && (offInAddr != 0 ? offIn : input.Offset) + len < 0) return -Errno.EINVAL;
                r = FileToPipe(t, input, offIn, outPipe, len, nonBlocking || output.NonBlocking);
                if (r > 0 && offInAddr != 0)
                {
                    long next = offIn + r;
                    if (t.WriteStruct(offInAddr, in next) < 0) return -Errno.EFAULT;
                }
            }
            else
            {
                return -Errno.EINVAL;
            }
            if (r == -Errno.EPIPE) t.SendSignalToSelf(Libc.SIGPIPE);
            if (r > 0)
            {
                FileIo.Accessed(input, r);
                FileIo.Modified(output, r);
            }
            return r;
        }
        finally
        {
            output.DecRef();
            input.DecRef();
        }
    }

    public static long Tee(Task t, in SyscallArguments a)
    {
        long len = (long)Math.Min(a.A2, (ulong)FileIo.MaxRwCount);
        uint flags = (uint)a.A3;
        if ((flags & ~SpliceAll) != 0) return -Errno.EINVAL;
        if (len == 0) return 0;
        var input = t.Fds.GetRef(a.Int(0));
        if (input is null) return -Errno.EBADF;
        var output = t.Fds.GetRef(a.Int(1));
        if (output is null)
        {
            input.DecRef();
            return -Errno.EBADF;
        }
        try
        {
            if (!input.Readable || !output.Writable) return -Errno.EBADF;
            if (input is not PipeFileDescription { Pipe: var inPipe } || output is not PipeFileDescription { Pipe: var outPipe } ||
                ReferenceEquals(inPipe, outPipe))
                return -Errno.EINVAL;
            bool nonBlocking = (flags & SPLICE_F_NONBLOCK) != 0 || input.NonBlocking || output.NonBlocking;
            long r = PipeToPipe(t, inPipe, outPipe, len, nonBlocking, consume: false);
            if (r == -Errno.EPIPE) t.SendSignalToSelf(Libc.SIGPIPE);
            if (r > 0)
            {
                FileIo.Accessed(input, r);
                FileIo.Modified(output, r);
            }
            return r;
        }
        finally
        {
            output.DecRef();
            input.DecRef();
        }
    }

    /// <summary>vmsplice(fd, iov, nr_segs, flags): guest memory into a pipe's write end, or a pipe's read end into guest memory.</summary>
    public static long Vmsplice(Task t, in SyscallArguments a)
    {
        uint flags = (uint)a.A3;
        if ((flags & ~SpliceAll) != 0) return -Errno.EINVAL;
        var f = t.Fds.GetRef(a.Int(0));
        if (f is null) return -Errno.EBADF;
        try
        {
            bool toPipe = f.Writable;
            if (!toPipe && !f.Readable) return -Errno.EBADF;
            ulong nr = a.A2;
            if (nr > FileIo.MaxIov) return -Errno.EINVAL;
            ulong iov = a.A1;
            long total = 0;
            Span<byte> entry = stackalloc byte[16];
            for (int i = 0; i < (int)nr; i++)
            {
                if (t.CopyIn(iov + (ulong)i * 16, entry) < 0) return -Errno.EFAULT;
                long l = (long)BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]);
                if (l < 0) return -Errno.EINVAL;
                total += l;
                if (total > FileIo.MaxRwCount) total = FileIo.MaxRwCount;
            }
            if (total == 0) return 0;
            if (f is not PipeFileDescription { Pipe: var pipe }) return -Errno.EBADF;
            bool nonBlocking = (flags & SPLICE_F_NONBLOCK) != 0 || f.NonBlocking;
            long r = toPipe ? MemoryToPipe(t, pipe, iov, (int)nr, nonBlocking) : PipeToMemory(t, pipe, iov, (int)nr, total, nonBlocking);
            if (r == -Errno.EPIPE) t.SendSignalToSelf(Libc.SIGPIPE);
            return r;
        }
        finally
        {
            f.DecRef();
        }
    }

    /// <summary>
    /// copy_file_range(fd_in, off_in, fd_out, off_out, len, flags): regular files of one filesystem
    /// copied in the Sentry (do_splice_direct); files of two filesystems answer EXDEV, as Linux
    /// since 5.19 does for filesystems without a copy_file_range of their own.
    /// </summary>
    public static long CopyFileRange(Task t, in SyscallArguments a)
    {
        ulong offInAddr = a.A1, offOutAddr = a.A3;
        long len = (long)Math.Min(a.A4, (ulong)FileIo.MaxRwCount);
        var input = t.Fds.GetRef(a.Int(0));
        if (input is null) return -Errno.EBADF;
        var output = t.Fds.GetRef(a.Int(2));
        if (output is null)
        {
            input.DecRef();
            return -Errno.EBADF;
        }
        try
        {
            if ((input.Flags & Libc.O_PATH) != 0 || (output.Flags & Libc.O_PATH) != 0) return -Errno.EBADF;
            long posIn, posOut;
            if (offInAddr != 0) { if (t.ReadStruct(offInAddr, out posIn) < 0) return -Errno.EFAULT; }
            else posIn = input.Offset;
            if (offOutAddr != 0) { if (t.ReadStruct(offOutAddr, out posOut) < 0) return -Errno.EFAULT; }
            else posOut = output.Offset;
            if (a.A5 != 0) return -Errno.EINVAL;
            // generic_copy_file_checks
            var inInode = input.Inode;
            var outInode = output.Inode;
            if (inInode is null || outInode is null) return -Errno.EINVAL;
            if (inInode.IsDirectory || outInode.IsDirectory) return -Errno.EISDIR;
            if (!Vfs.FileMode.IsRegular(inInode.Mode) || !Vfs.FileMode.IsRegular(outInode.Mode)) return -Errno.EINVAL;
            if (!input.Readable || !output.Writable || (output.Flags & Libc.O_APPEND) != 0) return -Errno.EBADF;
            if (posIn + len < posIn || posOut + len < posOut) return -Errno.EOVERFLOW;
            long sizeIn = input.Size;
            long count = posIn >= sizeIn ? 0 : Math.Min(len, sizeIn - posIn);
            if (count > 0 && posOut >= 0)
            {
                count = Kernel.Rlimits.CheckFileSize(t, posOut, count);
                if (count < 0) return count;
            }
            bool sameFile = WatchKey(inInode) == WatchKey(outInode);
            if (sameFile && posOut + count > posIn && posOut < posIn + count) return -Errno.EINVAL;
            if (posIn < 0 || posOut < 0) return -Errno.EINVAL;
            if (count == 0) return 0;
            if (!ReferenceEquals(inInode.FileSystem, outInode.FileSystem)) return -Errno.EXDEV;
            FilePermissions.RemovePrivs(t, outInode, output.Location);
            byte[] scratch = t.Scratch;
            long done = 0;
            while (done < count)
            {
                int want = (int)Math.Min(count - done, scratch.Length);
                long n = input.Read(t, scratch.AsSpan(0, want), posIn + done);
                if (n <= 0)
                {
                    if (done == 0 && n < 0) return n;
                    break;
                }
                long w = output.Write(t, scratch.AsSpan(0, (int)n), posOut + done);
                if (w < 0)
                {
                    if (done == 0) return w;
                    break;
                }
                done += w;
                if (w < n || n < want) break;
            }
            if (done > 0)
            {
                if (offInAddr != 0) { long v = posIn + done; if (t.WriteStruct(offInAddr, in v) < 0) return -Errno.EFAULT; }
                else lock (input.OffsetLock) input.Offset = posIn + done;
                if (offOutAddr != 0) { long v = posOut + done; if (t.WriteStruct(offOutAddr, in v) < 0) return -Errno.EFAULT; }
                else lock (output.OffsetLock) output.Offset = posOut + done;
                FileIo.Accessed(input, done);
                FileIo.Modified(output, done);
            }
            return done;
        }
        finally
        {
            output.DecRef();
            input.DecRef();
        }
    }

    private static (FileSystem, ulong) WatchKey(Inode inode)
    {
        inode.GetStat(out StatBuf st);
        return (inode.FileSystem, st.Ino);
    }

    // ---- the moves ----

    /// <summary>Waits until the pipe has data (1) or no writer (0); -EAGAIN when nonBlocking, or the signal's -errno.</summary>
    private static int WaitReadable(Task t, Pipe pipe, bool nonBlocking)
    {
        int s = pipe.ReadState();
        if (s != -Errno.EAGAIN || nonBlocking) return s;
        pipe.Queue.Subscribe(t);
        try
        {
            while (true)
            {
                s = pipe.ReadState();
                if (s != -Errno.EAGAIN) return s;
                int r = t.Block();
                if (r < 0) return r;
            }
        }
        finally
        {
            pipe.Queue.Unsubscribe(t);
        }
    }

    /// <summary>Waits until the pipe has room (1); -EPIPE without a reader, -EAGAIN when nonBlocking, or the signal's -errno.</summary>
    private static int WaitWritable(Task t, Pipe pipe, bool nonBlocking)
    {
        int s = pipe.WriteState();
        if (s != -Errno.EAGAIN || nonBlocking) return s;
        pipe.Queue.Subscribe(t);
        try
        {
            while (true)
            {
                s = pipe.WriteState();
                if (s != -Errno.EAGAIN) return s;
                int r = t.Block();
                if (r < 0) return r;
            }
        }
        finally
        {
            pipe.Queue.Unsubscribe(t);
        }
    }

    /// <summary>splice_pipe_to_pipe / link_pipe (tee): waits for input, then for room, then moves what both allow.</summary>
    private static long PipeToPipe(Task t, Pipe input, Pipe output, long len, bool nonBlocking, bool consume)
    {
        while (true)
        {
            int s = WaitReadable(t, input, nonBlocking);
            if (s <= 0) return s;
            s = WaitWritable(t, output, nonBlocking);
            if (s < 0) return s;
            int n = Pipe.Transfer(input, output, (int)Math.Min(len, int.MaxValue), t.Scratch, consume);
            if (n != 0) return n;
        }
    }

    /// <summary>splice from a pipe into a file or socket: bytes leave the pipe only once written.</summary>
    private static long PipeToFile(Task t, Pipe input, FileDescription output, long offset, long len, bool nonBlocking)
    {
        byte[] scratch = t.Scratch;
        if (output.Seekable) FilePermissions.RemovePrivs(t, output.Inode, output.Location);
        long done = 0;
        while (done < len)
        {
            int s = WaitReadable(t, input, nonBlocking || done > 0);
            if (s <= 0) return done > 0 ? done : s;
            int n = input.Peek(scratch.AsSpan(0, (int)Math.Min(len - done, scratch.Length)));
            if (n == 0) continue;
            long w = output.Write(t, scratch.AsSpan(0, n), offset >= 0 ? offset + done : -1);
            if (w < 0) return done > 0 ? done : w;
            input.Consume((int)w);
            done += w;
            if (w < n) break;
        }
        return done;
    }

    /// <summary>splice from a file or socket into a pipe: reads what the pipe has room for, at offset (or the file offset).</summary>
    private static long FileToPipe(Task t, FileDescription input, long offset, Pipe output, long len, bool nonBlocking)
    {
        int s = WaitWritable(t, output, nonBlocking);
        if (s < 0) return s;
        byte[] scratch = t.Scratch;
        int want = (int)Math.Min(Math.Min(len, scratch.Length), Math.Max(1, output.Capacity - output.Count));
        long n = input.Read(t, scratch.AsSpan(0, want), offset);
        if (n <= 0) return n;
        // Another writer may have taken the room meanwhile: what was read is queued all the same.
        int put = 0;
        while (put < n)
        {
            int k = output.PutSome(scratch.AsSpan(put, (int)n - put));
            if (k < 0) return put > 0 ? put : k;
            put += k;
            if (put < n)
            {
                s = WaitWritable(t, output, nonBlocking: false);
                if (s < 0) return put > 0 ? put : s;
            }
        }
        return n;
    }

    /// <summary>vmsplice_to_pipe: waits for room, then queues what fits of the iovecs in order.</summary>
    private static long MemoryToPipe(Task t, Pipe pipe, ulong iovAddr, int count, bool nonBlocking)
    {
        int s = WaitWritable(t, pipe, nonBlocking);
        if (s < 0) return s;
        byte[] scratch = t.Scratch;
        Span<byte> entry = stackalloc byte[16];
        long done = 0;
        for (int i = 0; i < count; i++)
        {
            if (t.CopyIn(iovAddr + (ulong)i * 16, entry) < 0) return done > 0 ? done : -Errno.EFAULT;
            ulong b = BinaryPrimitives.ReadUInt64LittleEndian(entry);
            long l = (long)BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]);
            long taken = 0;
            while (taken < l)
            {
                int room = pipe.Capacity - pipe.Count;
                if (room <= 0) return done;
                int c = (int)Math.Min(Math.Min(l - taken, scratch.Length), room);
                if (t.CopyIn(b + (ulong)taken, scratch.AsSpan(0, c)) < 0) return done > 0 ? done : -Errno.EFAULT;
                int k = pipe.PutSome(scratch.AsSpan(0, c));
                if (k < 0) return done > 0 ? done : k;
                done += k;
                taken += k;
                if (k < c) return done;
            }
        }
        return done;
    }

    /// <summary>vmsplice_to_user: waits for data, then moves what is queued (up to total) into the iovecs.</summary>
    private static long PipeToMemory(Task t, Pipe pipe, ulong iovAddr, int count, long total, bool nonBlocking)
    {
        int s = WaitReadable(t, pipe, nonBlocking);
        if (s <= 0) return s;
        byte[] scratch = t.Scratch;
        int n = pipe.Peek(scratch.AsSpan(0, (int)Math.Min(total, scratch.Length)));
        Span<byte> entry = stackalloc byte[16];
        int copied = 0;
        for (int i = 0; i < count && copied < n; i++)
        {
            if (t.CopyIn(iovAddr + (ulong)i * 16, entry) < 0) break;
            ulong b = BinaryPrimitives.ReadUInt64LittleEndian(entry);
            int l = (int)Math.Min((long)BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]), n - copied);
            if (l == 0) continue;
            if (t.CopyOut(b, scratch.AsSpan(copied, l)) < 0) break;
            copied += l;
        }
        if (copied == 0) return -Errno.EFAULT;
        pipe.Consume(copied);
        return copied;
    }
}
