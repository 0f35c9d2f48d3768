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
            return FileIo.ReadToGuest(t, f, a.A1, (long)a.A2, -1);
        }
        finally
        {
            f.DecRef();
        }
    }

    public static long PRead64(Task t, in SyscallArguments a)
    {
        long offset = (long)a.A3;
        var f = t.Fds.GetRef(a.Int(0));
        if (f is null) return -Errno.EBADF;
        try
        {
            if (!f.Readable) return -Errno.EBADF;
            if (!f.Seekable) return -Errno.ESPIPE;
            if (offset < 0) return -Errno.EINVAL;
            return FileIo.ReadToGuest(t, f, a.A1, (long)a.A2, offset);
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
            return FileIo.ReadVector(t, f, a.A1, a.Int(2), -1);
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
        var f = t.Fds.GetRef(a.Int(0));
        if (f is null) return -Errno.EBADF;
        try
        {
            if (!f.Readable) return -Errno.EBADF;
            bool useFileOffset = v2 && offset == -1;
            if (!useFileOffset)
            {
                if (!f.Seekable) return -Errno.ESPIPE;
                if (offset < 0) return -Errno.EINVAL;
            }
            return FileIo.ReadVector(t, f, a.A1, a.Int(2), useFileOffset ? -1 : offset);
        }
        finally
        {
            f.DecRef();
        }
    }
}
