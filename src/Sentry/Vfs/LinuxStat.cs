using Csrunsc.Native;

namespace Csrunsc.Sentry.Vfs;

/// <summary>File type and permission bits of st_mode (sys/stat.h).</summary>
public static class FileMode
{
    public const uint TypeMask = 0xF000, Socket = 0xC000, Symlink = 0xA000, Regular = 0x8000, Block = 0x6000,
        Directory = 0x4000, CharDevice = 0x2000, Fifo = 0x1000;
    public const uint PermMask = 0xFFF;

    public static bool IsDir(uint mode) => (mode & TypeMask) == Directory;
    public static bool IsSymlink(uint mode) => (mode & TypeMask) == Symlink;
    public static bool IsRegular(uint mode) => (mode & TypeMask) == Regular;

    /// <summary>d_type for getdents64 from a mode.</summary>
    public static byte DirentType(uint mode) => (byte)((mode & TypeMask) >> 12);
}

/// <summary>Helpers to build a <see cref="StatBuf"/> for synthetic inodes.</summary>
public static class StatFactory
{
    public static StatBuf Make(ulong dev, ulong ino, uint mode, ulong nlink, uint uid, uint gid, long size,
        in Timespec atime, in Timespec mtime, in Timespec ctime, ulong rdev = 0)
    {
        return new StatBuf
        {
            Dev = dev, Ino = ino, Nlink = nlink, Mode = mode, Uid = uid, Gid = gid, Rdev = rdev, Size = size,
            Blksize = 4096, Blocks = (size + 511) / 512,
            AtimeSec = atime.Sec, AtimeNsec = atime.Nsec, MtimeSec = mtime.Sec, MtimeNsec = mtime.Nsec,
            CtimeSec = ctime.Sec, CtimeNsec = ctime.Nsec,
        };
    }
}
