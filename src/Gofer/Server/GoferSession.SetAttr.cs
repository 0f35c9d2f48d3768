using Csrunsc.Gofer.Protocol;
using Csrunsc.Native;

namespace Csrunsc.Gofer.Server;

/// <summary>The SetAttr handler: owner, mode, size and times of a fid's file, without following symlinks.</summary>
internal sealed unsafe partial class GoferSession
{
    private const long SYS_fchmodat2 = 452;

    private int SetAttr(ref PayloadReader r)
    {
        var e = Fid(r.U32());
        var mask = (SetAttrMask)r.U32();
        uint mode = r.U32();
        uint uid = r.U32();
        uint gid = r.U32();
        ulong size = r.U64();
        var times = stackalloc Timespec[2];
        times[0] = new Timespec { Sec = r.I64(), Nsec = r.I64() };
        times[1] = new Timespec { Sec = r.I64(), Nsec = r.I64() };
        if (r.Failed) return Errno.EINVAL;
        if (e is null) return Errno.EBADF;
        if (mask != SetAttrMask.None && IsReadOnly(e)) return Errno.EROFS;
        int err;
        fixed (byte* empty = Empty)
        {
            if ((mask & (SetAttrMask.Uid | SetAttrMask.Gid)) != 0)
            {
                int u = (mask & SetAttrMask.Uid) != 0 ? (int)uid : -1;
                int g = (mask & SetAttrMask.Gid) != 0 ? (int)gid : -1;
                if (Libc.FChownAt(e.Fd, empty, u, g, Libc.AT_EMPTY_PATH | Libc.AT_SYMLINK_NOFOLLOW) < 0) return Libc.LastErrno;
            }
            if ((mask & SetAttrMask.Mode) != 0 && (err = Chmod(e, mode & 0xFFF, empty)) != 0) return err;
            if ((mask & SetAttrMask.Size) != 0 && (err = Truncate(e, size)) != 0) return err;
            if ((mask & (SetAttrMask.Atime | SetAttrMask.Mtime)) != 0)
            {
                if ((mask & SetAttrMask.Atime) == 0) times[0] = new Timespec { Nsec = GoferSetAttr.UTIME_OMIT };
                if ((mask & SetAttrMask.Mtime) == 0) times[1] = new Timespec { Nsec = GoferSetAttr.UTIME_OMIT };
                if (Libc.UtimensAt(e.Fd, empty, times, Libc.AT_EMPTY_PATH) < 0)
                {
                    // Kernels before 5.8 have no AT_EMPTY_PATH for utimensat: go through the name.
                    ReopenAt(e, out int dirFd, out byte[] name);
                    fixed (byte* n = name)
                    {
                        if (Libc.UtimensAt(dirFd, n, times, Libc.AT_SYMLINK_NOFOLLOW) < 0) return Libc.LastErrno;
                    }
                }
            }
        }
        StatBuf st;
        if (Libc.FStat(e.Fd, &st) < 0) return Libc.LastErrno;
        e.SetIdentity(st);
        _response.Raw(in st);
        return 0;
    }

    private int Chmod(FidEntry e, uint mode, byte* empty)
    {
        if (e.IsSymlink) return Errno.EOPNOTSUPP;
        if (Libc.Syscall(SYS_fchmodat2, e.Fd, (long)empty, mode, Libc.AT_EMPTY_PATH, 0, 0) == 0) return 0;
        int err = Libc.LastErrno;
        if (err != Errno.ENOSYS && err != Errno.EPERM) return err;
        // Kernels before 6.6 (or a filter that refuses fchmodat2): chmod through the name. Not a
        // symlink when walked; a host-side swap for one would be followed inside the chroot only.
        ReopenAt(e, out int dirFd, out byte[] name);
        fixed (byte* n = name)
        {
            return Libc.FChmodAt(dirFd, n, (int)mode, 0) < 0 ? Libc.LastErrno : 0;
        }
    }

    private int Truncate(FidEntry e, ulong size)
    {
        if (e.IsDirectory) return Errno.EISDIR;
        if (!e.IsRegular) return Errno.EINVAL;
        if (size > long.MaxValue) return Errno.EFBIG;
        ReopenAt(e, out int dirFd, out byte[] name);
        int fd = OpenChecked(dirFd, name, Libc.O_WRONLY | Libc.O_NONBLOCK, e);
        if (fd < 0) return -fd;
        int err = Libc.FTruncate(fd, (long)size) < 0 ? Libc.LastErrno : 0;
        Libc.Close(fd);
        return err;
    }
}
