using System.Runtime.InteropServices;

namespace Csrunsc.Native;

/// <summary>mount(2), umount2(2), pivot_root(2): the gofer's own mount view (Gofer/Server/GoferMountView).</summary>
public static unsafe partial class Libc
{
    public const ulong MS_RDONLY = 0x1, MS_NOSUID = 0x2, MS_NODEV = 0x4, MS_NOEXEC = 0x8, MS_REMOUNT = 0x20,
        MS_BIND = 0x1000, MS_REC = 0x4000, MS_PRIVATE = 0x40000;
    public const int MNT_DETACH = 2;
    public const int OPEN_TREE_CLONE = 1, AT_RECURSIVE = 0x8000, MOVE_MOUNT_F_EMPTY_PATH = 0x4;
    private const int SYS_pivot_root = 155, SYS_open_tree = 428, SYS_move_mount = 429;

    [LibraryImport(Lib, EntryPoint = "mount", SetLastError = true)]
    public static partial int Mount(byte* source, byte* target, byte* fsType, ulong flags, byte* data);

    [LibraryImport(Lib, EntryPoint = "umount2", SetLastError = true)]
    public static partial int Umount2(byte* target, int flags);

    /// <summary>open_tree(2) (Linux 5.2): with OPEN_TREE_CLONE a detached copy of the mount tree at dfd/path.</summary>
    public static int OpenTree(int dfd, byte* path, int flags) => (int)Syscall(SYS_open_tree, dfd, (long)path, flags, 0, 0, 0);

    /// <summary>move_mount(2) (Linux 5.2): attaches a detached tree (from open_tree) at a path.</summary>
    public static int MoveMount(int fromDfd, byte* fromPath, int toDfd, byte* toPath, int flags) =>
        (int)Syscall(SYS_move_mount, fromDfd, (long)fromPath, toDfd, (long)toPath, flags, 0);

    public static int PivotRoot(byte* newRoot, byte* putOld) => (int)Syscall(SYS_pivot_root, (long)newRoot, (long)putOld, 0, 0, 0, 0);
}
