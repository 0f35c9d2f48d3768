using System.Buffers.Binary;
using System.Text;
using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>getdents64 and the old getdents: records are built in the task's scratch buffer, then copied out.</summary>
internal static class SysGetdents
{
    public static long GetDents64(Task t, in SyscallArguments a) => GetDents(t, a.Int(0), a.A1, (uint)a.A2, wide: true);

    public static long GetDents(Task t, in SyscallArguments a) => GetDents(t, a.Int(0), a.A1, (uint)a.A2, wide: false);

    private static long GetDents(Task t, int fd, ulong addr, uint count, bool wide)
    {
        var f = t.Fds.GetRef(fd);
        if (f is null) return -Errno.EBADF;
        try
        {
            if ((f.Flags & Libc.O_PATH) != 0) return -Errno.EBADF;
            if (f.Inode is null || !f.Inode.IsDirectory) return -Errno.ENOTDIR;
            var sink = new DirentSink(t.Scratch, (int)Math.Min(count, (uint)t.Scratch.Length), wide);
            int r = f.NextDirEntries(sink.Add);
            if (r < 0) return r;
            if (Vfs.Inotify.Fsnotify.Active) Vfs.Inotify.Fsnotify.Accessed(f); // iterate_dir's fsnotify_access
            if (sink.TooSmall) return -Errno.EINVAL;
            if (sink.Used == 0) return 0;
            int c = t.CopyOut(addr, t.Scratch.AsSpan(0, sink.Used));
            return c < 0 ? c : sink.Used;
        }
        finally
        {
            f.DecRef();
        }
    }

    /// <summary>Packs linux_dirent64 {u64 ino, s64 off, u16 reclen, u8 type, name\0} (or the old linux_dirent) records.</summary>
    private sealed class DirentSink(byte[] buffer, int limit, bool wide)
    {
        public int Used;
        public bool TooSmall;

        public bool Add(DirEntry e, long nextOffset)
        {
            int nameLen = Encoding.UTF8.GetByteCount(e.Name);
            // dirent64: 19-byte header + name + NUL; old dirent: 18-byte header + name + NUL + d_type.
            int reclen = ((wide ? 19 + nameLen + 1 : 18 + nameLen + 2) + 7) & ~7;
            if (Used + reclen > limit)
            {
                if (Used == 0) TooSmall = true;
                return false;
            }
            var rec = buffer.AsSpan(Used, reclen);
            rec.Clear();
            BinaryPrimitives.WriteUInt64LittleEndian(rec, e.Ino);
            BinaryPrimitives.WriteInt64LittleEndian(rec[8..], nextOffset);
            BinaryPrimitives.WriteUInt16LittleEndian(rec[16..], (ushort)reclen);
            if (wide)
            {
                rec[18] = e.Type;
                Encoding.UTF8.GetBytes(e.Name, rec[19..]);
            }
            else
            {
                Encoding.UTF8.GetBytes(e.Name, rec[18..]);
                rec[reclen - 1] = e.Type;
            }
            Used += reclen;
            return true;
        }
    }
}
