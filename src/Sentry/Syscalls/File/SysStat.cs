using System.Buffers.Binary;
using Csrunsc.Native;
using Csrunsc.Sentry.Fs;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>fstat, stat, lstat, newfstatat, statx.</summary>
internal static class SysStat
{
    private const int AT_NO_AUTOMOUNT = 0x800, AT_STATX_SYNC_TYPE = 0x6000;
    private const uint STATX_BASIC_STATS = 0x7FF, STATX_MNT_ID = 0x1000;
    private const int StatxSize = 0x100;

    public static long FStat(Task t, in SyscallArguments a)
    {
        var f = t.Fds.Get(a.Int(0));
        if (f is null) return -Errno.EBADF;
        int r = f.GetStat(out StatBuf st);
        if (r < 0) return r;
        return t.WriteStruct(a.A1, in st);
    }

    public static long Stat(Task t, in SyscallArguments a) => StatAt(t, Libc.AT_FDCWD, a.A0, a.A1, 0);

    public static long LStat(Task t, in SyscallArguments a) => StatAt(t, Libc.AT_FDCWD, a.A0, a.A1, Libc.AT_SYMLINK_NOFOLLOW);

    public static long NewFStatAt(Task t, in SyscallArguments a) => StatAt(t, a.Int(0), a.A1, a.A2, a.Int(3));

    private static long StatAt(Task t, int dirfd, ulong pathAddr, ulong statAddr, int flags)
    {
        if ((flags & ~(Libc.AT_SYMLINK_NOFOLLOW | Libc.AT_EMPTY_PATH | AT_NO_AUTOMOUNT)) != 0) return -Errno.EINVAL;
        int r = StatOf(t, dirfd, pathAddr, flags, out StatBuf st, out _);
        if (r < 0) return r;
        return t.WriteStruct(statAddr, in st);
    }

    /// <summary>Stats (dirfd, path) with AT_EMPTY_PATH meaning the fd's own file (including pipes and sockets).</summary>
    private static int StatOf(Task t, int dirfd, ulong pathAddr, int flags, out StatBuf st, out VfsPath? where)
    {
        st = default;
        where = null;
        int r = GuestPath.Read(t, pathAddr, out string path);
        if (r < 0) return r;
        if (path.Length == 0 && (flags & Libc.AT_EMPTY_PATH) != 0)
        {
            if (dirfd == Libc.AT_FDCWD)
            {
                where = t.Fs.Cwd;
                return where.Inode.GetStat(out st);
            }
            var f = t.Fds.Get(dirfd);
            if (f is null) return -Errno.EBADF;
            where = f.Location;
            return f.GetStat(out st);
        }
        r = PathResolver.Resolve(t, dirfd, path, (flags & Libc.AT_SYMLINK_NOFOLLOW) == 0, out where);
        if (r < 0) return r;
        return where!.Inode.GetStat(out st);
    }

    /// <summary>statx(dirfd, path, flags, mask, buf): every basic field is always filled in.</summary>
    public static long Statx(Task t, in SyscallArguments a)
    {
        int dirfd = a.Int(0), flags = a.Int(2);
        if ((flags & ~(Libc.AT_SYMLINK_NOFOLLOW | Libc.AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE)) != 0) return -Errno.EINVAL;
        if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE) return -Errno.EINVAL;
        if ((uint)a.A3 == 0x80000000u) return -Errno.EINVAL; // STATX__RESERVED
        int r = StatOf(t, dirfd, a.A1, flags, out StatBuf st, out _);
        if (r < 0) return r;
        Span<byte> b = stackalloc byte[StatxSize];
        Fill(b, in st);
        return t.CopyOut(a.A4, b);
    }

    /// <summary>struct statx from a struct stat.</summary>
    internal static void Fill(Span<byte> b, in StatBuf st)
    {
        b.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(b, STATX_BASIC_STATS);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x04..], (uint)st.Blksize);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x10..], (uint)st.Nlink);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x14..], st.Uid);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x18..], st.Gid);
        BinaryPrimitives.WriteUInt16LittleEndian(b[0x1C..], (ushort)st.Mode);
        BinaryPrimitives.WriteUInt64LittleEndian(b[0x20..], st.Ino);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x28..], st.Size);
        BinaryPrimitives.WriteInt64LittleEndian(b[0x30..], st.Blocks);
        WriteTime(b[0x40..], st.AtimeSec, st.AtimeNsec);
        // 0x50: btime is not reported (STATX_BTIME not in the mask).
        WriteTime(b[0x60..], st.CtimeSec, st.CtimeNsec);
        WriteTime(b[0x70..], st.MtimeSec, st.MtimeNsec);
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x80..], DeviceNumber.Major(st.Rdev));
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x84..], DeviceNumber.Minor(st.Rdev));
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x88..], DeviceNumber.Major(st.Dev));
        BinaryPrimitives.WriteUInt32LittleEndian(b[0x8C..], DeviceNumber.Minor(st.Dev));
    }

    private static void WriteTime(Span<byte> b, long sec, long nsec)
    {
        BinaryPrimitives.WriteInt64LittleEndian(b, sec);
        BinaryPrimitives.WriteUInt32LittleEndian(b[8..], (uint)nsec);
    }
}
