using System.Buffers.Binary;
using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>statfs, fstatfs: plausible numbers and the f_type of the filesystem kind.</summary>
internal static class SysStatfs
{
    private const long TmpfsMagic = 0x01021994, ProcMagic = 0x9FA0, SysfsMagic = 0x62656572, DevptsMagic = 0x1CD1,
        V9fsMagic = 0x01021997, Cgroup2Magic = 0x63677270, CgroupMagic = 0x27E0EB, MqueueMagic = 0x19800202,
        PipefsMagic = 0x50495045, SockfsMagic = 0x534F434B, AnonInodeMagic = 0x09041934;
    private const long ST_RDONLY = 1, ST_VALID = 0x20;
    private const int StatfsSize = 120;

    public static long StatFs(Task t, in SyscallArguments a)
    {
        int r = GuestPath.Read(t, a.A0, out string path);
        if (r < 0) return r;
        r = PathResolver.Resolve(t, Libc.AT_FDCWD, path, followFinal: true, out VfsPath? p);
        if (r < 0) return r;
        return Write(t, a.A1, p!.Inode.FileSystem, PathResolver.IsReadOnly(p));
    }

    public static long FStatFs(Task t, in SyscallArguments a)
    {
        var f = t.Fds.Get(a.Int(0));
        if (f is null) return -Errno.EBADF;
        if (f.Location is { } p) return Write(t, a.A1, p.Inode.FileSystem, PathResolver.IsReadOnly(p));
        if (f.Inode is { } inode) return Write(t, a.A1, inode.FileSystem, inode.FileSystem.ReadOnly);
        return Write(t, a.A1, null, false);
    }

    /// <summary>f_type for a filesystem type name.</summary>
    public static long Magic(string? type) => type switch
    {
        "tmpfs" or "devtmpfs" or "ramfs" or null => TmpfsMagic,
        "proc" => ProcMagic,
        "sysfs" => SysfsMagic,
        "devpts" => DevptsMagic,
        "9p" or "gofer" or "overlay" or "bind" or "rootfs" => V9fsMagic,
        "cgroup2" => Cgroup2Magic,
        "cgroup" => CgroupMagic,
        "mqueue" => MqueueMagic,
        "pipefs" or "pipe" => PipefsMagic,
        "sockfs" => SockfsMagic,
        "anon_inodefs" => AnonInodeMagic,
        _ => TmpfsMagic,
    };

    private static long Write(Task t, ulong addr, FileSystem? fs, bool readOnly)
    {
        Span<byte> b = stackalloc byte[StatfsSize];
        b.Clear();
        const long blocks = 1L << 24; // 64 GiB of 4 KiB blocks
        const long files = 1L << 20;
        BinaryPrimitives.WriteInt64LittleEndian(b, Magic(fs?.Type));       // f_type
        BinaryPrimitives.WriteInt64LittleEndian(b[8..], 4096);            // f_bsize
        BinaryPrimitives.WriteInt64LittleEndian(b[16..], blocks);         // f_blocks
        BinaryPrimitives.WriteInt64LittleEndian(b[24..], blocks / 2);     // f_bfree
        BinaryPrimitives.WriteInt64LittleEndian(b[32..], blocks / 2);     // f_bavail
        BinaryPrimitives.WriteInt64LittleEndian(b[40..], files);          // f_files
        BinaryPrimitives.WriteInt64LittleEndian(b[48..], files / 2);      // f_ffree
        ulong dev = fs?.Dev ?? 0;
        BinaryPrimitives.WriteUInt32LittleEndian(b[56..], (uint)dev);     // f_fsid
        BinaryPrimitives.WriteUInt32LittleEndian(b[60..], (uint)(dev >> 32));
        BinaryPrimitives.WriteInt64LittleEndian(b[64..], PathResolver.NameMax); // f_namelen
        BinaryPrimitives.WriteInt64LittleEndian(b[72..], 4096);           // f_frsize
        BinaryPrimitives.WriteInt64LittleEndian(b[80..], ST_VALID | (readOnly ? ST_RDONLY : 0)); // f_flags
        return t.CopyOut(addr, b);
    }
}
