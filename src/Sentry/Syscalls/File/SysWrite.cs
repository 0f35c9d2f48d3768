using Csrunsc.Native;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>write, pwrite64, writev, pwritev, pwritev2. EPIPE raises SIGPIPE (in <see cref="FileIo"/>).</summary>
internal static class SysWrite
{
    public static long Write(Task t, in SyscallArguments a)
    {
        var f = t.Fds.GetRef(a.Int(0));
        if (f is null) return -Errno.EBADF;
        try
        {
            if (!f.Writable) return -Errno.EBADF;
            return FileIo.Modified(f, FileIo.WriteFromGuest(t, f, a.A1, (long)a.A2, -1));
        }
        finally
        {
            f.DecRef();
        }
    }

    public static long PWrite64(Task t, in SyscallArguments a)
    {
        // ksys_pwrite64's order: a negative offset, the fd, a file without a position (FMODE_P*), then the access mode.
        long offset = (long)a.A3;
        if (offset < 0) return -Errno.EINVAL;
        var f = t.Fds.GetRef(a.Int(0));
        if (f is null) return -Errno.EBADF;
        try
        {
            if (!f.Seekable && (f.Flags & Libc.O_PATH) == 0) return -Errno.ESPIPE;
            if (!f.Writable) return -Errno.EBADF;
            // rw_verify_area: the range may not pass the largest offset.
            if ((long)a.A2 > 0 && offset > long.MaxValue - (long)a.A2) return -Errno.EINVAL;
            return FileIo.Modified(f, FileIo.WriteFromGuest(t, f, a.A1, (long)a.A2, offset));
        }
        finally
        {
            f.DecRef();
        }
    }

    public static long WriteV(Task t, in SyscallArguments a)
    {
        var f = t.Fds.GetRef(a.Int(0));
        if (f is null) return -Errno.EBADF;
        try
        {
            if (!f.Writable) return -Errno.EBADF;
            return FileIo.Modified(f, FileIo.WriteVector(t, f, a.A1, a.Int(2), -1));
        }
        finally
        {
            f.DecRef();
        }
    }

    public static long PWriteV(Task t, in SyscallArguments a) => PWriteVCore(t, a, v2: false);

    public static long PWriteV2(Task t, in SyscallArguments a) => PWriteVCore(t, a, v2: true);

    private static long PWriteVCore(Task t, in SyscallArguments a, bool v2)
    {
        int flags = v2 ? (int)a.A5 : 0;
        // RWF_HIPRI/DSYNC/SYNC are hints; RWF_NOWAIT and RWF_APPEND are not supported.
        if ((flags & ~7) != 0) return -Errno.EOPNOTSUPP;
        long offset = (long)a.A3;
        bool useFileOffset = v2 && offset == -1;
        if (!useFileOffset && offset < 0) return -Errno.EINVAL;
        var f = t.Fds.GetRef(a.Int(0));
        if (f is null) return -Errno.EBADF;
        try
        {
            if (!useFileOffset && !f.Seekable && (f.Flags & Libc.O_PATH) == 0) return -Errno.ESPIPE;
            if (!f.Writable) return -Errno.EBADF;
            return FileIo.Modified(f, FileIo.WriteVector(t, f, a.A1, a.Int(2), useFileOffset ? -1 : offset));
        }
        finally
        {
            f.DecRef();
        }
    }
}
