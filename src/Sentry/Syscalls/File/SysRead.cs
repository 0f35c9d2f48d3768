using Csrunsc.Native;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>read, pread64, readv, preadv, preadv2.</summary>
internal static class SysRead
{
    public static long Read(Task t, in SyscallArguments a)
    {
        var f = t.Fds.GetRef(a.Int(0));
        if (f is null) return -Errno.EBADF;
        try
        {
            if (!f.Readable) return -Errno.EBADF;
            return FileIo.Accessed(f, FileIo.ReadToGuest(t, f, a.A1, (long)a.A2, -1));
        }
        finally
        {
            f.DecRef();
        }
    }

    public static long PRead64(Task t, in SyscallArguments a)
    {
        // ksys_pread64's order: a negative offset, the fd, a file without a position (FMODE_P*), then the access mode.
        long offset = (long)a.A3;
        if (offset < 0) return -Errno.EINVAL;
        var f = t.Fds.GetRef(a.Int(0));
        if (f is null) return -Errno.EBADF;
        try
        {
            if (!f.Seekable && (f.Flags & Libc.O_PATH) == 0) return -Errno.ESPIPE;
            if (!f.Readable) return -Errno.EBADF;
            // rw_verify_area: the range may not pass the largest offset.
            if ((long)a.A2 > 0 && offset > long.MaxValue - (long)a.A2) return -Errno.EINVAL;
            return FileIo.Accessed(f, FileIo.ReadToGuest(t, f, a.A1, (long)a.A2, offset));
        }
        finally
        {
            f.DecRef();
        }
    }

    public static long ReadV(Task t, in SyscallArguments a)
    {
        var f = t.Fds.GetRef(a.Int(0));
        if (f is null) return -Errno.EBADF;
        try
        {
            if (!f.Readable) return -Errno.EBADF;
            return FileIo.Accessed(f, FileIo.ReadVector(t, f, a.A1, a.Int(2), -1));
        }
        finally
        {
            f.DecRef();
        }
    }

    public static long PReadV(Task t, in SyscallArguments a) => PReadVCore(t, a, v2: false);

    /// <summary>preadv2: offset -1 means the file offset; RWF_* flags other than hints are refused.</summary>
    public static long PReadV2(Task t, in SyscallArguments a) => PReadVCore(t, a, v2: true);

    private static long PReadVCore(Task t, in SyscallArguments a, bool v2)
    {
        int flags = v2 ? (int)a.A5 : 0;
        // RWF_HIPRI 1, RWF_DSYNC 2, RWF_SYNC 4 are hints here; RWF_NOWAIT 8 and RWF_APPEND 16 are not supported.
        if ((flags & ~7) != 0) return -Errno.EOPNOTSUPP;
        long offset = (long)a.A3;
        bool useFileOffset = v2 && offset == -1;
        if (!useFileOffset && offset < 0) return -Errno.EINVAL;
        var f = t.Fds.GetRef(a.Int(0));
        if (f is null) return -Errno.EBADF;
        try
        {
            if (!useFileOffset && !f.Seekable && (f.Flags & Libc.O_PATH) == 0) return -Errno.ESPIPE;
            if (!f.Readable) return -Errno.EBADF;
            return FileIo.Accessed(f, FileIo.ReadVector(t, f, a.A1, a.Int(2), useFileOffset ? -1 : offset));
        }
        finally
        {
            f.DecRef();
        }
    }
}
