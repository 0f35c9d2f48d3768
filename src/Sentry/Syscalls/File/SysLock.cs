using System.Runtime.InteropServices;
using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using Csrunsc.Sentry.Vfs.Lock;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>
/// The lock calls: fcntl's F_GETLK/F_SETLK/F_SETLKW and their OFD forms, and flock(2). The
/// guest's struct flock is decoded and checked here in Linux's order (fcntl_getlk/fcntl_setlk,
/// flock_to_posix_lock); the locks themselves live in Vfs/Lock.
/// </summary>
internal static class SysLock
{
    public const int F_GETLK = 5, F_SETLK = 6, F_SETLKW = 7, F_OFD_GETLK = 36, F_OFD_SETLK = 37, F_OFD_SETLKW = 38;
    private const short F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;

    /// <summary>x86-64 struct flock.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct LinuxFlock
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Len;
        public int Pid;
    }

    /// <summary>F_GETLK and F_OFD_GETLK: reports the first conflicting lock, or l_type = F_UNLCK (other fields as given).</summary>
    public static long GetLock(Task t, FileDescription f, int cmd, ulong addr)
    {
        if ((f.Flags & Libc.O_PATH) != 0) return -Errno.EBADF;
        if (t.ReadStruct(addr, out LinuxFlock fl) < 0) return -Errno.EFAULT;
        if (fl.Type != F_RDLCK && fl.Type != F_WRLCK) return -Errno.EINVAL;
        bool ofd = cmd == F_OFD_GETLK;
        if (ofd && fl.Pid != 0) return -Errno.EINVAL;
        int r = ToRange(f, fl, out long start, out long end);
        if (r < 0) return r;
        object owner = ofd ? f : t.Fds;
        if (FileLocks.TestPosix(f, owner, fl.Type == F_WRLCK, start, end, out PosixLock held))
        {
            fl.Type = held.Write ? F_WRLCK : F_RDLCK;
            fl.Whence = (short)Libc.SEEK_SET;
            fl.Start = held.Start;
            fl.Len = held.End == PosixLock.ToEof ? 0 : held.End - held.Start + 1;
            fl.Pid = held.Pid;
        }
        else
        {
            fl.Type = F_UNLCK;
        }
        return t.WriteStruct(addr, fl) < 0 ? -Errno.EFAULT : 0;
    }

    /// <summary>F_SETLK, F_SETLKW, F_OFD_SETLK, F_OFD_SETLKW.</summary>
    public static long SetLock(Task t, int fd, FileDescription f, int cmd, ulong addr)
    {
        if ((f.Flags & Libc.O_PATH) != 0) return -Errno.EBADF;
        if (t.ReadStruct(addr, out LinuxFlock fl) < 0) return -Errno.EFAULT;
        int r = ToRange(f, fl, out long start, out long end);
        if (r < 0) return r;
        if (fl.Type is not (F_RDLCK or F_WRLCK or F_UNLCK)) return -Errno.EINVAL;
        if (fl.Type == F_RDLCK && !f.Readable) return -Errno.EBADF;
        if (fl.Type == F_WRLCK && !f.Writable) return -Errno.EBADF;
        bool ofd = cmd is F_OFD_SETLK or F_OFD_SETLKW;
        if (ofd && fl.Pid != 0) return -Errno.EINVAL;
        bool wait = cmd is F_SETLKW or F_OFD_SETLKW;
        bool unlock = fl.Type == F_UNLCK, write = fl.Type == F_WRLCK;
        object owner = ofd ? f : t.Fds;
        int pid = ofd ? -1 : t.ThreadGroup.Tgid;
        r = FileLocks.SetPosix(t, f, owner, ofd, pid, unlock, write, start, end, wait);
        if (r == 0 && !ofd && !unlock && !ReferenceEquals(t.Fds.Get(fd), f))
        {
            // The fd was closed while we waited: the close could not release what we had not
            // yet been granted, so drop it now (fcntl_setlk's race check).
            FileLocks.SetPosix(t, f, owner, ofd, pid, unlock: true, write: false, start, end, wait: false);
            return -Errno.EBADF;
        }
        return r;
    }

    /// <summary>flock(2): LOCK_SH, LOCK_EX, LOCK_UN, with LOCK_NB; LOCK_MAND is ignored as Linux does.</summary>
    public static long Flock(Task t, in SyscallArguments a)
    {
        const int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8, LOCK_MAND = 32;
        int cmd = a.Int(1);
        // Linux accepts LOCK_MAND and does nothing (it never worked): 0 before any other check.
        if ((cmd & LOCK_MAND) != 0) return 0;
        int op = cmd & ~LOCK_NB;
        if (op is not (LOCK_SH or LOCK_EX or LOCK_UN)) return -Errno.EINVAL;
        var f = t.Fds.GetRef(a.Int(0));
        if (f is null) return -Errno.EBADF;
        try
        {
            if ((f.Flags & Libc.O_PATH) != 0) return -Errno.EBADF;
            return FileLocks.Flock(t, f, op == LOCK_UN, op == LOCK_EX, wait: (cmd & LOCK_NB) == 0);
        }
        finally
        {
            f.DecRef();
        }
    }

    /// <summary>flock_to_posix_lock: l_whence/l_start/l_len to an inclusive [start, end].</summary>
    private static int ToRange(FileDescription f, in LinuxFlock fl, out long start, out long end)
    {
        start = end = 0;
        long origin;
        switch (fl.Whence)
        {
            case Libc.SEEK_SET: origin = 0; break;
            case Libc.SEEK_CUR: lock (f.OffsetLock) origin = f.Offset; break;
            case Libc.SEEK_END: origin = f.Size; break;
            default: return -Errno.EINVAL;
        }
        if (fl.Start > PosixLock.ToEof - origin) return -Errno.EOVERFLOW;
        start = origin + fl.Start;
        if (start < 0) return -Errno.EINVAL;
        if (fl.Len > 0)
        {
            if (fl.Len - 1 > PosixLock.ToEof - start) return -Errno.EOVERFLOW;
            end = start + (fl.Len - 1);
        }
        else if (fl.Len < 0)
        {
            if (start + fl.Len < 0) return -Errno.EINVAL;
            end = start - 1;
            start += fl.Len;
        }
        else
        {
            end = PosixLock.ToEof;
        }
        return 0;
    }
}
