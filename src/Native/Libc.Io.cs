using System.Runtime.InteropServices;

namespace Csrunsc.Native;

/// <summary>File and descriptor calls (fcntl.h, unistd.h, sys/stat.h).</summary>
public static unsafe partial class Libc
{
    public const string Lib = "libc";

    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_ACCMODE = 3, O_CREAT = 0x40, O_EXCL = 0x80,
        O_NOCTTY = 0x100, O_TRUNC = 0x200, O_APPEND = 0x400, O_NONBLOCK = 0x800, O_DSYNC = 0x1000,
        O_DIRECT = 0x4000, O_LARGEFILE = 0x8000, O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000,
        O_NOATIME = 0x40000, O_CLOEXEC = 0x80000, O_SYNC = 0x101000, O_PATH = 0x200000, O_TMPFILE = 0x410000;
    public const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200,
        AT_SYMLINK_FOLLOW = 0x400, AT_EMPTY_PATH = 0x1000;
    public const int F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_DUPFD_CLOEXEC = 1030, FD_CLOEXEC = 1;
    public const int SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2;

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true)]
    public static partial int Open(byte* path, int flags, int mode);
    [LibraryImport(Lib, EntryPoint = "openat", SetLastError = true)]
    public static partial int OpenAt(int dirfd, byte* path, int flags, int mode);
    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);
    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buf, nint count);
    [LibraryImport(Lib, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buf, nint count);
    [LibraryImport(Lib, EntryPoint = "pread64", SetLastError = true)]
    public static partial nint PRead(int fd, byte* buf, nint count, long offset);
    [LibraryImport(Lib, EntryPoint = "pwrite64", SetLastError = true)]
    public static partial nint PWrite(int fd, byte* buf, nint count, long offset);
    [LibraryImport(Lib, EntryPoint = "lseek64", SetLastError = true)]
    public static partial long LSeek(int fd, long offset, int whence);
    [LibraryImport(Lib, EntryPoint = "fstatat64", SetLastError = true)]
    public static partial int FStatAt(int dirfd, byte* path, StatBuf* buf, int flags);
    [LibraryImport(Lib, EntryPoint = "fstat64", SetLastError = true)]
    public static partial int FStat(int fd, StatBuf* buf);
    [LibraryImport(Lib, EntryPoint = "getdents64", SetLastError = true)]
    public static partial nint GetDents64(int fd, byte* buf, nint count);
    [LibraryImport(Lib, EntryPoint = "readlinkat", SetLastError = true)]
    public static partial nint ReadLinkAt(int dirfd, byte* path, byte* buf, nint size);
    [LibraryImport(Lib, EntryPoint = "mkdirat", SetLastError = true)]
    public static partial int MkdirAt(int dirfd, byte* path, int mode);
    [LibraryImport(Lib, EntryPoint = "mknodat", SetLastError = true)]
    public static partial int MknodAt(int dirfd, byte* path, int mode, ulong dev);
    [LibraryImport(Lib, EntryPoint = "unlinkat", SetLastError = true)]
    public static partial int UnlinkAt(int dirfd, byte* path, int flags);
    [LibraryImport(Lib, EntryPoint = "renameat", SetLastError = true)]
    public static partial int RenameAt(int olddirfd, byte* oldpath, int newdirfd, byte* newpath);
    [LibraryImport(Lib, EntryPoint = "symlinkat", SetLastError = true)]
    public static partial int SymlinkAt(byte* target, int newdirfd, byte* linkpath);
    [LibraryImport(Lib, EntryPoint = "linkat", SetLastError = true)]
    public static partial int LinkAt(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, int flags);
    [LibraryImport(Lib, EntryPoint = "fchmod", SetLastError = true)]
    public static partial int FChmod(int fd, int mode);
    [LibraryImport(Lib, EntryPoint = "fchmodat", SetLastError = true)]
    public static partial int FChmodAt(int dirfd, byte* path, int mode, int flags);
    [LibraryImport(Lib, EntryPoint = "fchownat", SetLastError = true)]
    public static partial int FChownAt(int dirfd, byte* path, int uid, int gid, int flags);
    [LibraryImport(Lib, EntryPoint = "utimensat", SetLastError = true)]
    public static partial int UtimensAt(int dirfd, byte* path, Timespec* times, int flags);
    [LibraryImport(Lib, EntryPoint = "ftruncate64", SetLastError = true)]
    public static partial int FTruncate(int fd, long length);
    [LibraryImport(Lib, EntryPoint = "fsync", SetLastError = true)]
    public static partial int FSync(int fd);
    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int cmd, long arg);
    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, ulong request, void* arg);
    [LibraryImport(Lib, EntryPoint = "dup", SetLastError = true)]
    public static partial int Dup(int fd);
    [LibraryImport(Lib, EntryPoint = "dup2", SetLastError = true)]
    public static partial int Dup2(int fd, int newfd);
    [LibraryImport(Lib, EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe2(int* fds, int flags);
    [LibraryImport(Lib, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, ulong nfds, int timeoutMs);
    [LibraryImport(Lib, EntryPoint = "ppoll", SetLastError = true)]
    public static partial int PPoll(PollFd* fds, ulong nfds, Timespec* timeout, void* sigmask);
    [LibraryImport(Lib, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initval, int flags);
    [LibraryImport(Lib, EntryPoint = "timerfd_create", SetLastError = true)]
    public static partial int TimerFdCreate(int clock, int flags);
    [LibraryImport(Lib, EntryPoint = "timerfd_settime", SetLastError = true)]
    public static partial int TimerFdSetTime(int fd, int flags, ITimerSpec* value, ITimerSpec* old);
    [LibraryImport(Lib, EntryPoint = "fstatfs64", SetLastError = true)]
    public static partial int FStatFs(int fd, byte* buf);
    [LibraryImport(Lib, EntryPoint = "isatty")]
    public static partial int IsATty(int fd);

    public const short POLLIN = 1, POLLPRI = 2, POLLOUT = 4, POLLERR = 8, POLLHUP = 16, POLLNVAL = 32;

    /// <summary>Last errno of the calling thread (after a SetLastError import).</summary>
    public static int LastErrno => Marshal.GetLastPInvokeError();

    /// <summary>Writes all of <paramref name="data"/>, retrying on EINTR and short writes.</summary>
    public static bool WriteAll(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            nint done = 0;
            while (done < data.Length)
            {
                nint n = Write(fd, p + done, data.Length - done);
                if (n < 0)
                {
                    if (LastErrno == Errno.EINTR) continue;
                    return false;
                }
                done += n;
            }
        }
        return true;
    }

    /// <summary>Writes a UTF-8 string to a raw fd (no .NET Console: it installs terminal and SIGCHLD handling).</summary>
    public static void WriteString(int fd, string s) => WriteAll(fd, System.Text.Encoding.UTF8.GetBytes(s));

    /// <summary>The entries of an open directory (getdents64 to the end; "." and ".." left out), each with whether it is a directory.</summary>
    public static List<(string Name, bool Directory)> ReadDirectory(int dirFd)
    {
        var list = new List<(string, bool)>();
        byte* buf = stackalloc byte[8192];
        while (true)
        {
            nint n = GetDents64(dirFd, buf, 8192);
            if (n <= 0) break;
            for (nint off = 0; off < n;)
            {
                ushort reclen = *(ushort*)(buf + off + 16);
                byte type = buf[off + 18];
                string name = new((sbyte*)(buf + off + 19));
                if (name != "." && name != "..") list.Add((name, type == 4 /*DT_DIR*/));
                off += reclen;
            }
        }
        return list;
    }

    /// <summary>Opens a path given as a .NET string.</summary>
    public static int OpenPath(string path, int flags, int mode = 0)
    {
        byte[] z = CString(path);
        fixed (byte* p = z) return Open(p, flags, mode);
    }

    /// <summary>NUL-terminated UTF-8 bytes of a string (for paths handed to libc).</summary>
    public static byte[] CString(string s)
    {
        int n = System.Text.Encoding.UTF8.GetByteCount(s);
        var b = new byte[n + 1];
        System.Text.Encoding.UTF8.GetBytes(s, b);
        return b;
    }
}

[StructLayout(LayoutKind.Sequential)]
public struct Timespec
{
    public long Sec;
    public long Nsec;
}

/// <summary>struct itimerspec: interval, then value.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ITimerSpec
{
    public Timespec Interval;
    public Timespec Value;
}

[StructLayout(LayoutKind.Sequential)]
public struct PollFd
{
    public int Fd;
    public short Events;
    public short REvents;
}

/// <summary>struct stat on x86-64 (the kernel's layout and glibc's are the same: 144 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct StatBuf
{
    public ulong Dev;
    public ulong Ino;
    public ulong Nlink;
    public uint Mode;
    public uint Uid;
    public uint Gid;
    public int Pad0;
    public ulong Rdev;
    public long Size;
    public long Blksize;
    public long Blocks;
    public long AtimeSec;
    public long AtimeNsec;
    public long MtimeSec;
    public long MtimeNsec;
    public long CtimeSec;
    public long CtimeNsec;
    public long Reserved0, Reserved1, Reserved2;

    public const uint S_IFMT = 0xF000, S_IFSOCK = 0xC000, S_IFLNK = 0xA000, S_IFREG = 0x8000, S_IFBLK = 0x6000,
        S_IFDIR = 0x4000, S_IFCHR = 0x2000, S_IFIFO = 0x1000;
}
