using System.Runtime.InteropServices;

namespace Csrunsc.Native;

/// <summary>Calls only the gofer needs (process umask, renameat2, seccomp(2)).</summary>
public static unsafe partial class Libc
{
    public const uint RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2, RENAME_WHITEOUT = 4;
    public const int SYS_seccomp = 317;
    public const uint SECCOMP_SET_MODE_FILTER = 1, SECCOMP_FILTER_FLAG_TSYNC = 1;

    [LibraryImport(Lib, EntryPoint = "umask")]
    public static partial uint Umask(uint mask);
    [LibraryImport(Lib, EntryPoint = "renameat2", SetLastError = true)]
    public static partial int RenameAt2(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, uint flags);
}
