using Csrunsc.Gofer.Protocol;
using Csrunsc.Native;

namespace Csrunsc.Gofer.Server;

/// <summary>Handlers that only look: Attach, Walk, Stat, Readlink, ReadDir, StatFs, Close.</summary>
internal sealed unsafe partial class GoferSession
{
    private int Attach(ref PayloadReader r)
    {
        uint index = r.U32();
        if (r.Failed) return Errno.EINVAL;
        if (index >= (uint)_roots.Points.Count) return Errno.ENOENT;
        int fd = Libc.Fcntl(_roots.Points[(int)index].Fd, Libc.F_DUPFD_CLOEXEC, 3);
        if (fd < 0) return Libc.LastErrno;
        return AddFid(fd, -1, null, (int)index);
    }

    private int Walk(ref PayloadReader r)
    {
        uint dirFid = r.U32();
        int err = ReadName(ref r, out var name);
        if (err != 0) return err;
        err = DirFid(dirFid, out var dir);
        if (err != 0) return err;
        return AddChild((int)dirFid, ComponentName.ToZ(name), dir.Attach);
    }

    private int Stat(ref PayloadReader r)
    {
        var e = Fid(r.U32());
        if (e is null) return Errno.EBADF;
        StatBuf st;
        if (Libc.FStat(e.Fd, &st) < 0) return Libc.LastErrno;
        _response.Raw(in st);
        return 0;
    }

    private int Readlink(ref PayloadReader r)
    {
        var e = Fid(r.U32());
        if (e is null) return Errno.EBADF;
        if (!e.IsSymlink) return Errno.EINVAL;
        nint n;
        fixed (byte* empty = Empty)
        fixed (byte* buf = _scratch)
        {
            n = Libc.ReadLinkAt(e.Fd, empty, buf, 4096);
        }
        if (n < 0) return Libc.LastErrno;
        if (n >= 4096) return Errno.ENAMETOOLONG;
        _response.Bytes(_scratch.AsSpan(0, (int)n));
        return 0;
    }

    private int ReadDir(ref PayloadReader r)
    {
        var e = Fid(r.U32());
        ulong offset = r.U64();
        uint maxBytes = r.U32();
        if (r.Failed) return Errno.EINVAL;
        if (e is null) return Errno.EBADF;
        if (!e.IsDirectory) return Errno.ENOTDIR;
        if (e.DirReadFd < 0)
        {
            int fd;
            fixed (byte* dot = Dot) fd = BeneathOpen.At(e.Fd, dot, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
            if (fd < 0) return Libc.LastErrno;
            e.DirReadFd = fd;
        }
        if (Libc.LSeek(e.DirReadFd, (long)offset, Libc.SEEK_SET) < 0) return Libc.LastErrno;
        int cap = (int)Math.Clamp(maxBytes, 1024u, (uint)_scratch.Length);
        nint n;
        fixed (byte* buf = _scratch) n = Libc.GetDents64(e.DirReadFd, buf, cap);
        if (n < 0) return Libc.LastErrno;

        int nextAt = _response.Length;
        _response.U64(offset);
        _response.U8(n == 0 ? (byte)1 : (byte)0);
        int countAt = _response.Length;
        _response.U32(0);
        uint count = 0;
        ulong next = offset;
        var ents = _scratch.AsSpan(0, (int)n);
        int pos = 0;
        while (pos + 19 <= ents.Length)
        {
            // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
            ulong ino = BitConverter.ToUInt64(ents[pos..]);
            ulong off = BitConverter.ToUInt64(ents[(pos + 8)..]);
            int reclen = BitConverter.ToUInt16(ents[(pos + 16)..]);
            byte type = ents[pos + 18];
            if (reclen < 19 || pos + reclen > ents.Length) return Errno.EIO;
            var nameField = ents.Slice(pos + 19, reclen - 19);
            int nul = nameField.IndexOf((byte)0);
            var name = nul >= 0 ? nameField[..nul] : nameField;
            next = off;
            pos += reclen;
            if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8)) continue;
            _response.U64(ino);
            _response.U64(off);
            _response.U8(type);
            _response.Bytes(name);
            count++;
        }
        _response.PatchU64(nextAt, next);
        _response.PatchU32(countAt, count);
        return 0;
    }

    private int StatFs(ref PayloadReader r)
    {
        var e = Fid(r.U32());
        if (e is null) return Errno.EBADF;
        byte* buf = stackalloc byte[120]; // struct statfs on x86-64
        if (Libc.FStatFs(e.Fd, buf) < 0) return Libc.LastErrno;
        var fs = new GoferStatFs
        {
            Type = *(long*)buf,
            BlockSize = *(long*)(buf + 8),
            Blocks = *(ulong*)(buf + 16),
            BlocksFree = *(ulong*)(buf + 24),
            BlocksAvailable = *(ulong*)(buf + 32),
            Files = *(ulong*)(buf + 40),
            FilesFree = *(ulong*)(buf + 48),
            NameLength = *(long*)(buf + 64),
            FragmentSize = *(long*)(buf + 72),
            Flags = *(long*)(buf + 80),
        };
        if (IsReadOnly(e)) fs.Flags |= 1; // ST_RDONLY
        _response.Raw(in fs);
        return 0;
    }

    private int CloseFids(ref PayloadReader r)
    {
        uint count = r.U32();
        if (r.Failed || count > (uint)r.Remaining / 4) return Errno.EINVAL;
        for (uint i = 0; i < count; i++) _fids.ClientRelease(r.U32());
        return 0;
    }
}
