using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>utimensat, utimes, futimesat, utime: times reach the inode as <see cref="SetAttrRequest"/> timestamps.</summary>
internal static class SysUtime
{
    public static long UtimensAt(Task t, in SyscallArguments a)
    {
        int dirfd = a.Int(0), flags = a.Int(3);
        ulong pathAddr = a.A1, timesAddr = a.A2;
        if ((flags & ~(Libc.AT_SYMLINK_NOFOLLOW | Libc.AT_EMPTY_PATH)) != 0) return -Errno.EINVAL;
        Timespec atime, mtime;
        bool explicitTimes = timesAddr != 0;
        if (explicitTimes)
        {
            int c = t.ReadStruct(timesAddr, out atime);
            if (c < 0) return c;
            c = t.ReadStruct(timesAddr + 16, out mtime);
            if (c < 0) return c;
            if (!Valid(atime) || !Valid(mtime)) return -Errno.EINVAL;
            if (atime.Nsec == SetAttrRequest.UtimeOmit && mtime.Nsec == SetAttrRequest.UtimeOmit) return 0;
            explicitTimes = !(atime.Nsec == SetAttrRequest.UtimeNow && mtime.Nsec == SetAttrRequest.UtimeNow);
        }
        else
        {
            atime = mtime = new Timespec { Nsec = SetAttrRequest.UtimeNow };
        }

        VfsPath? p;
        int r;
        if (pathAddr == 0)
        {
            // futimens: the path is NULL and dirfd names the file.
            if (dirfd == Libc.AT_FDCWD) return -Errno.EFAULT;
            r = GuestPath.OfFd(t, dirfd, out p);
        }
        else
        {
            r = GuestPath.ResolveAt(t, dirfd, pathAddr, flags, out p);
        }
        if (r < 0) return r;
        return Apply(t, p!, atime, mtime, explicitTimes);
    }

    public static long Utimes(Task t, in SyscallArguments a) => TimevalAt(t, Libc.AT_FDCWD, a.A0, a.A1);

    public static long FutimesAt(Task t, in SyscallArguments a) => TimevalAt(t, a.Int(0), a.A1, a.A2);

    private static long TimevalAt(Task t, int dirfd, ulong pathAddr, ulong tvAddr)
    {
        Timespec atime, mtime;
        bool explicitTimes = tvAddr != 0;
        if (explicitTimes)
        {
            int c = t.ReadStruct(tvAddr, out Timespec atv);
            if (c < 0) return c;
            c = t.ReadStruct(tvAddr + 16, out Timespec mtv);
            if (c < 0) return c;
            if (atv.Nsec < 0 || atv.Nsec >= 1_000_000 || mtv.Nsec < 0 || mtv.Nsec >= 1_000_000) return -Errno.EINVAL;
            atime = new Timespec { Sec = atv.Sec, Nsec = atv.Nsec * 1000 };
            mtime = new Timespec { Sec = mtv.Sec, Nsec = mtv.Nsec * 1000 };
        }
        else
        {
            atime = mtime = new Timespec { Nsec = SetAttrRequest.UtimeNow };
        }
        int r = GuestPath.ResolveAt(t, dirfd, pathAddr, 0, out VfsPath? p);
        if (r < 0) return r;
        return Apply(t, p!, atime, mtime, explicitTimes);
    }

    /// <summary>utime(path, struct utimbuf { time_t actime, modtime; }).</summary>
    public static long Utime(Task t, in SyscallArguments a)
    {
        Timespec atime, mtime;
        bool explicitTimes = a.A1 != 0;
        if (explicitTimes)
        {
            int c = t.ReadStruct(a.A1, out Timespec buf); // two longs: actime, modtime
            if (c < 0) return c;
            atime = new Timespec { Sec = buf.Sec };
            mtime = new Timespec { Sec = buf.Nsec };
        }
        else
        {
            atime = mtime = new Timespec { Nsec = SetAttrRequest.UtimeNow };
        }
        int r = GuestPath.ResolveAt(t, Libc.AT_FDCWD, a.A0, 0, out VfsPath? p);
        if (r < 0) return r;
        return Apply(t, p!, atime, mtime, explicitTimes);
    }

    private static bool Valid(in Timespec ts) =>
        ts.Nsec is SetAttrRequest.UtimeNow or SetAttrRequest.UtimeOmit || (ts.Nsec >= 0 && ts.Nsec < 1_000_000_000);

    /// <summary>Explicit times need ownership; "now" needs ownership or write permission.</summary>
    private static long Apply(Task t, VfsPath p, Timespec atime, Timespec mtime, bool explicitTimes)
    {
        if (PathResolver.IsReadOnly(p)) return -Errno.EROFS;
        if (!FilePermissions.IsOwnerOrRoot(t, p.Inode))
        {
            if (explicitTimes) return -Errno.EPERM;
            if (FilePermissions.Check(t, p.Inode, FilePermissions.MayWrite) < 0) return -Errno.EACCES;
        }
        var now = MonotonicClock.Now();
        var req = new SetAttrRequest();
        if (atime.Nsec != SetAttrRequest.UtimeOmit)
        {
            req.Mask |= SetAttrRequest.AtimeBit;
            req.Atime = atime.Nsec == SetAttrRequest.UtimeNow ? now : atime;
        }
        if (mtime.Nsec != SetAttrRequest.UtimeOmit)
        {
            req.Mask |= SetAttrRequest.MtimeBit;
            req.Mtime = mtime.Nsec == SetAttrRequest.UtimeNow ? now : mtime;
        }
        int r = p.Inode.SetAttr(in req);
        if (r == 0) Vfs.Inotify.Fsnotify.Changed(p.Inode, p, req.Mask);
        return r;
    }
}
