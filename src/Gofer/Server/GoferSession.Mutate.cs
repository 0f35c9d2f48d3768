using Csrunsc.Gofer.Protocol;
using Csrunsc.Native;

namespace Csrunsc.Gofer.Server;

/// <summary>Handlers that change the tree: Mkdir, Mknod, Symlink, Link, Unlink, Rename.</summary>
internal sealed unsafe partial class GoferSession
{
    private const int MaxSymlinkTarget = 4095;

    private int Mkdir(ref PayloadReader r)
    {
        uint dirFid = r.U32();
        int err = ReadName(ref r, out var name);
        uint mode = r.U32();
        uint uid = r.U32();
        uint gid = r.U32();
        if (r.Failed) return Errno.EINVAL;
        if (err != 0) return err;
        err = DirFid(dirFid, out var dir);
        if (err != 0) return err;
        if (IsReadOnly(dir)) return Errno.EROFS;
        byte[] nameZ = ComponentName.ToZ(name);
        fixed (byte* n = nameZ)
        {
            if (Libc.MkdirAt(dir.Fd, n, (int)(mode & 0xFFF)) < 0) return Libc.LastErrno;
        }
        return FinishNew(dirFid, dir, nameZ, uid, gid, Libc.AT_REMOVEDIR);
    }

    private int Mknod(ref PayloadReader r)
    {
        uint dirFid = r.U32();
        int err = ReadName(ref r, out var name);
        uint mode = r.U32();
        r.U64(); // dev: only meaningful for device nodes, which the gofer never makes
        uint uid = r.U32();
        uint gid = r.U32();
        if (r.Failed) return Errno.EINVAL;
        if (err != 0) return err;
        uint type = mode & StatBuf.S_IFMT;
        if (type == 0) type = StatBuf.S_IFREG;
        if (type != StatBuf.S_IFREG && type != StatBuf.S_IFIFO && type != StatBuf.S_IFSOCK) return Errno.EPERM;
        err = DirFid(dirFid, out var dir);
        if (err != 0) return err;
        if (IsReadOnly(dir)) return Errno.EROFS;
        byte[] nameZ = ComponentName.ToZ(name);
        fixed (byte* n = nameZ)
        {
            if (Libc.MknodAt(dir.Fd, n, (int)(type | (mode & 0xFFF)), 0) < 0) return Libc.LastErrno;
        }
        return FinishNew(dirFid, dir, nameZ, uid, gid, 0);
    }

    private int Symlink(ref PayloadReader r)
    {
        uint dirFid = r.U32();
        int err = ReadName(ref r, out var name);
        var target = r.StringBytes();
        uint uid = r.U32();
        uint gid = r.U32();
        if (r.Failed) return Errno.EINVAL;
        if (err != 0) return err;
        if (target.IsEmpty) return Errno.ENOENT;
        if (target.Length > MaxSymlinkTarget) return Errno.ENAMETOOLONG;
        if (target.IndexOf((byte)0) >= 0) return Errno.EINVAL;
        err = DirFid(dirFid, out var dir);
        if (err != 0) return err;
        if (IsReadOnly(dir)) return Errno.EROFS;
        byte[] nameZ = ComponentName.ToZ(name);
        Span<byte> targetZ = stackalloc byte[MaxSymlinkTarget + 1];
        ComponentName.CopyZ(target, targetZ);
        fixed (byte* n = nameZ)
        fixed (byte* t = targetZ)
        {
            if (Libc.SymlinkAt(t, dir.Fd, n) < 0) return Libc.LastErrno;
        }
        return FinishNew(dirFid, dir, nameZ, uid, gid, 0);
    }

    /// <summary>After creating <paramref name="nameZ"/>: hold it as a new fid, give it its owner; undo on failure.</summary>
    private int FinishNew(uint dirFid, FidEntry dir, byte[] nameZ, uint uid, uint gid, int unlinkFlags)
    {
        fixed (byte* n = nameZ)
        {
            int fd = BeneathOpen.At(dir.Fd, n, Libc.O_PATH | Libc.O_CLOEXEC);
            int err = fd < 0 ? Libc.LastErrno : ChownNew(fd, uid, gid);
            if (err != 0)
            {
                if (fd >= 0) Libc.Close(fd);
                Libc.UnlinkAt(dir.Fd, n, unlinkFlags);
                return err;
            }
            return AddFid(fd, (int)dirFid, nameZ, dir.Attach);
        }
    }

    private int Link(ref PayloadReader r)
    {
        uint dirFid = r.U32();
        int err = ReadName(ref r, out var name);
        var target = Fid(r.U32());
        if (r.Failed) return Errno.EINVAL;
        if (err != 0) return err;
        err = DirFid(dirFid, out var dir);
        if (err != 0) return err;
        if (target is null) return Errno.EBADF;
        if (target.IsDirectory) return Errno.EPERM;
        if (target.Attach != dir.Attach) return Errno.EXDEV;
        if (IsReadOnly(dir)) return Errno.EROFS;
        ReopenAt(target, out int targetDir, out byte[] targetName);
        byte[] nameZ = ComponentName.ToZ(name);
        fixed (byte* n = nameZ)
        fixed (byte* t = targetName)
        {
            if (Libc.LinkAt(targetDir, t, dir.Fd, n, 0) < 0) return Libc.LastErrno;
        }
        return AddChild((int)dirFid, nameZ, dir.Attach);
    }

    private int Unlink(ref PayloadReader r)
    {
        uint dirFid = r.U32();
        int err = ReadName(ref r, out var name);
        int flags = r.I32();
        if (r.Failed) return Errno.EINVAL;
        if (err != 0) return err;
        if ((flags & ~Libc.AT_REMOVEDIR) != 0) return Errno.EINVAL;
        err = DirFid(dirFid, out var dir);
        if (err != 0) return err;
        if (IsReadOnly(dir)) return Errno.EROFS;
        Span<byte> nameZ = stackalloc byte[ComponentName.MaxLength + 1];
        ComponentName.CopyZ(name, nameZ);
        fixed (byte* n = nameZ)
        {
            return Libc.UnlinkAt(dir.Fd, n, flags) < 0 ? Libc.LastErrno : 0;
        }
    }

    private int Rename(ref PayloadReader r)
    {
        uint oldDirFid = r.U32();
        int err = ReadName(ref r, out var oldName);
        uint newDirFid = r.U32();
        int err2 = ReadName(ref r, out var newName);
        uint flags = r.U32();
        if (r.Failed) return Errno.EINVAL;
        if (err != 0) return err;
        if (err2 != 0) return err2;
        if ((flags & ~(Libc.RENAME_NOREPLACE | Libc.RENAME_EXCHANGE)) != 0) return Errno.EINVAL;
        err = DirFid(oldDirFid, out var oldDir);
        if (err != 0) return err;
        err = DirFid(newDirFid, out var newDir);
        if (err != 0) return err;
        if (oldDir.Attach != newDir.Attach) return Errno.EXDEV;
        if (IsReadOnly(oldDir)) return Errno.EROFS;
        Span<byte> oldZ = stackalloc byte[ComponentName.MaxLength + 1];
        Span<byte> newZ = stackalloc byte[ComponentName.MaxLength + 1];
        ComponentName.CopyZ(oldName, oldZ);
        ComponentName.CopyZ(newName, newZ);
        fixed (byte* o = oldZ)
        fixed (byte* n = newZ)
        {
            int rc = flags == 0 ? Libc.RenameAt(oldDir.Fd, o, newDir.Fd, n) : Libc.RenameAt2(oldDir.Fd, o, newDir.Fd, n, flags);
            if (rc < 0) return Libc.LastErrno;
        }
        FollowRename((int)oldDirFid, oldName, (int)newDirFid, newName, (flags & Libc.RENAME_EXCHANGE) != 0);
        return 0;
    }

    /// <summary>
    /// Non-directory fids reopen through (parent, name): move those that named the renamed file
    /// (through any fid of the same host directory) to its new place, so they keep naming it.
    /// </summary>
    private void FollowRename(int oldDirSlot, ReadOnlySpan<byte> oldName, int newDirSlot, ReadOnlySpan<byte> newName, bool exchange)
    {
        var oldDir = _fids.Slot(oldDirSlot)!;
        var newDir = _fids.Slot(newDirSlot)!;
        byte[]? oldZ = null, newZ = null;
        for (int slot = 0; slot < _fids.SlotCount; slot++)
        {
            var e = _fids.Slot(slot);
            if (e is null || e.Parent < 0 || e.IsDirectory) continue;
            var parent = _fids.Slot(e.Parent)!;
            var name = e.Name.AsSpan(0, e.Name!.Length - 1);
            if (SameDir(parent, oldDir) && name.SequenceEqual(oldName))
            {
                _fids.Reparent(slot, newDirSlot, newZ ??= ComponentName.ToZ(newName));
            }
            else if (exchange && SameDir(parent, newDir) && name.SequenceEqual(newName))
            {
                _fids.Reparent(slot, oldDirSlot, oldZ ??= ComponentName.ToZ(oldName));
            }
        }
    }

    private static bool SameDir(FidEntry a, FidEntry b) => a.Ino == b.Ino && a.Dev == b.Dev;
}
