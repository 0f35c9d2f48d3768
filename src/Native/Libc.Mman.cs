using System.Runtime.InteropServices;

namespace Csrunsc.Native;

/// <summary>Memory mapping calls (sys/mman.h).</summary>
public static unsafe partial class Libc
{
    public const int PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
    public const int MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20,
        MAP_GROWSDOWN = 0x100, MAP_DENYWRITE = 0x800, MAP_EXECUTABLE = 0x1000, MAP_LOCKED = 0x2000,
        MAP_NORESERVE = 0x4000, MAP_POPULATE = 0x8000, MAP_NONBLOCK = 0x10000, MAP_STACK = 0x20000,
        MAP_HUGETLB = 0x40000, MAP_FIXED_NOREPLACE = 0x100000, MAP_32BIT = 0x40;
    public const uint MFD_CLOEXEC = 1;

    [LibraryImport(Lib, EntryPoint = "mmap", SetLastError = true)]
    public static partial void* Mmap(void* addr, nuint length, int prot, int flags, int fd, long offset);
    [LibraryImport(Lib, EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(void* addr, nuint length);
    [LibraryImport(Lib, EntryPoint = "memfd_create", SetLastError = true)]
    public static partial int MemfdCreate(byte* name, uint flags);
    [LibraryImport(Lib, EntryPoint = "fallocate64", SetLastError = true)]
    public static partial int FAllocate(int fd, int mode, long offset, long len);

    public const int FALLOC_FL_KEEP_SIZE = 1, FALLOC_FL_PUNCH_HOLE = 2;
    public static readonly nint MapFailed = -1;
}
