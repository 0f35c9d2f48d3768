using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>sendfile: copies through the task's scratch buffer (copy_file_range, splice: <see cref="SysSplice"/>).</summary>
internal static class SysSendfile
{
    public static long Sendfile(Task t, in SyscallArguments a)
    {
        int outFd = a.Int(0), inFd = a.Int(1);
        ulong offAddr = a.A2;
        long count = (long)a.A3;
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
            if (!input.Readable || !output.Writable) return -Errno.EBADF;
            if ((output.Flags & Libc.O_APPEND) != 0) return -Errno.EINVAL;
            if (count < 0) return -Errno.EINVAL;
            if (input.Inode is { } dir && dir.IsDirectory) return -Errno.EINVAL; // no splice_read
            long offset = -1;
            if (offAddr != 0)
            {
                if (!input.Seekable) return -Errno.ESPIPE;
                int c = t.ReadStruct(offAddr, out offset);
                if (c < 0) return c;
                if (offset < 0) return -Errno.EINVAL;
            }
            // rw_verify_area: the range may not pass the largest offset.
            if (input.Seekable && (offset >= 0 ? offset : input.Offset) + Math.Min(count, FileIo.MaxRwCount) < 0) return -Errno.EINVAL;
            long done = Copy(t, input, output, offset, Math.Min(count, FileIo.MaxRwCount));
            if (offAddr != 0 && done >= 0)
            {
                long next = offset + done;
                int c = t.WriteStruct(offAddr, in next);
                if (c < 0) return c;
            }
            if (done == -Errno.EPIPE) t.SendSignalToSelf(Libc.SIGPIPE);
            if (done > 0)
            {
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

    /// <summary>Moves up to count bytes; offset &lt; 0 reads at (and advances) input's file offset.</summary>
    private static long Copy(Task t, FileDescription input, FileDescription output, long offset, long count)
    {
        byte[] scratch = t.Scratch;
        long done = 0;
        while (done < count)
        {
            int want = (int)Math.Min(count - done, scratch.Length);
            long n = input.Read(t, scratch.AsSpan(0, want), offset < 0 ? -1 : offset + done);
            if (n < 0) return done > 0 ? done : n;
            if (n == 0) break;
            long w = output.Write(t, scratch.AsSpan(0, (int)n), -1);
            if (w < 0)
            {
                if (offset < 0 && input.Seekable) input.Seek(-n, Libc.SEEK_CUR);
                return done > 0 ? done : w;
            }
            done += w;
            if (w < n)
            {
                // Give the unwritten tail back to the input's offset.
                if (offset < 0 && input.Seekable) input.Seek(w - n, Libc.SEEK_CUR);
                break;
            }
            if (n < want && !input.Seekable) break;
        }
        return done;
    }
}
