using Csrunsc.Gofer.Protocol;
using Csrunsc.Native;

namespace Csrunsc.Gofer.Server;

/// <summary>Handlers that hand out host fds: Open and Create.</summary>
internal sealed unsafe partial class GoferSession
{
    private const int O_TMPFILE_BIT = 0x400000; // __O_TMPFILE

    /// <summary>Guest open flags that pass through to the host; O_NOFOLLOW|O_CLOEXEC|O_NOCTTY are always added.</summary>
    private const int PassThroughFlags = Libc.O_ACCMODE | Libc.O_TRUNC | Libc.O_APPEND | Libc.O_NONBLOCK | Libc.O_DSYNC
        | Libc.O_SYNC | Libc.O_DIRECT | Libc.O_LARGEFILE | Libc.O_DIRECTORY | Libc.O_NOATIME;

    private static bool WantsWrite(int flags) => (flags & Libc.O_ACCMODE) != Libc.O_RDONLY || (flags & Libc.O_TRUNC) != 0;

    private int Open(ref PayloadReader r, ref int donatedFd)
    {
        var e = Fid(r.U32());
        int flags = r.I32();
        if (r.Failed) return Errno.EINVAL;
        if (e is null) return Errno.EBADF;
        if ((flags & (Libc.O_CREAT | O_TMPFILE_BIT | Libc.O_PATH)) != 0 || (flags & Libc.O_ACCMODE) == Libc.O_ACCMODE)
        {
            return Errno.EINVAL;
        }
        if (WantsWrite(flags) && IsReadOnly(e)) return Errno.EROFS;
        switch (e.Mode & StatBuf.S_IFMT)
        {
            case StatBuf.S_IFREG:
                if ((flags & Libc.O_DIRECTORY) != 0) return Errno.ENOTDIR;
                break;
            case StatBuf.S_IFDIR:
                // Never donated: from a host directory fd, openat(fd, "..") climbs out of the
                // container's view. The Sentry reads directories through ReadDir.
                return Errno.EISDIR;
            case StatBuf.S_IFIFO:
                // Never block the single-threaded server on a FIFO open; the Sentry handles waiting.
                if ((flags & Libc.O_DIRECTORY) != 0) return Errno.ENOTDIR;
                flags |= Libc.O_NONBLOCK;
                break;
            case StatBuf.S_IFLNK:
                return Errno.ELOOP;
            case StatBuf.S_IFSOCK:
                return Errno.ENXIO;
            default:
                // Host device nodes are never opened: the Sentry serves /dev itself.
                return Errno.EPERM;
        }
        ReopenAt(e, out int dirFd, out byte[] name);
        int fd = OpenChecked(dirFd, name, flags & PassThroughFlags, e);
        if (fd < 0) return -fd;
        donatedFd = fd;
        return 0;
    }

    private int Create(ref PayloadReader r, ref int donatedFd)
    {
        uint dirFid = r.U32();
        int err = ReadName(ref r, out var name);
        int flags = r.I32();
        uint mode = r.U32();
        uint uid = r.U32();
        uint gid = r.U32();
        if (r.Failed) return Errno.EINVAL;
        if (err != 0) return err;
        err = DirFid(dirFid, out var dir);
        if (err != 0) return err;
        if (IsReadOnly(dir)) return Errno.EROFS;
        if ((flags & (O_TMPFILE_BIT | Libc.O_PATH | Libc.O_DIRECTORY)) != 0 || (flags & Libc.O_ACCMODE) == Libc.O_ACCMODE)
        {
            return Errno.EINVAL;
        }
        int baseFlags = (flags & PassThroughFlags & ~Libc.O_DIRECTORY) | Libc.O_NOFOLLOW | Libc.O_CLOEXEC | Libc.O_NOCTTY;
        bool exclusive = (flags & Libc.O_EXCL) != 0;
        byte[] nameZ = ComponentName.ToZ(name);
        int fd = -1;
        bool created = false;
        fixed (byte* n = nameZ)
        {
            for (int attempt = 0; attempt < 4 && fd < 0; attempt++)
            {
                fd = BeneathOpen.At(dir.Fd, n, baseFlags | Libc.O_CREAT | Libc.O_EXCL, (int)(mode & 0xFFF));
                if (fd >= 0)
                {
                    created = true;
                    break;
                }
                int e = Libc.LastErrno;
                if (e == Errno.EINTR) continue;
                if (e != Errno.EEXIST || exclusive) return e;
                // Non-blocking: an existing FIFO must not block the single-threaded server (as in Open).
                fd = BeneathOpen.At(dir.Fd, n, baseFlags | Libc.O_NONBLOCK);
                if (fd >= 0)
                {
                    // open(O_CREAT) of an existing directory is EISDIR (and a directory fd is never donated).
                    StatBuf existing;
                    uint type = Libc.FStat(fd, &existing) == 0 ? existing.Mode & StatBuf.S_IFMT : 0;
                    if (type == StatBuf.S_IFREG || type == StatBuf.S_IFIFO)
                    {
                        if (type == StatBuf.S_IFREG && (baseFlags & Libc.O_NONBLOCK) == 0)
                            Libc.Fcntl(fd, Libc.F_SETFL, Libc.Fcntl(fd, Libc.F_GETFL, 0) & ~Libc.O_NONBLOCK);
                        break;
                    }
                    Libc.Close(fd);
                    // Host device nodes are never opened (the Sentry serves /dev), sockets are ENXIO.
                    return type == StatBuf.S_IFDIR ? Errno.EISDIR : type == StatBuf.S_IFSOCK ? Errno.ENXIO : Errno.EPERM;
                }
                e = Libc.LastErrno;
                if (e != Errno.ENOENT && e != Errno.EINTR) return e; // ENOENT: removed meanwhile, create again
            }
            if (fd < 0) return Errno.EAGAIN;

            int pathFd = BeneathOpen.At(dir.Fd, n, Libc.O_PATH | Libc.O_CLOEXEC);
            err = pathFd < 0 ? Libc.LastErrno : 0;
            if (err == 0 && created)
            {
                err = ChownNew(pathFd, uid, gid);
                // chown clears set-id bits; put the requested mode back.
                if (err == 0 && (mode & 0xC00) != 0 && Libc.FChmod(fd, (int)(mode & 0xFFF)) < 0) err = Libc.LastErrno;
            }
            if (err != 0)
            {
                if (pathFd >= 0) Libc.Close(pathFd);
                Libc.Close(fd);
                if (created) Libc.UnlinkAt(dir.Fd, n, 0);
                return err;
            }
            err = AddFid(pathFd, (int)dirFid, nameZ, dir.Attach);
        }
        if (err != 0)
        {
            Libc.Close(fd);
            return err;
        }
        donatedFd = fd;
        return 0;
    }
}
