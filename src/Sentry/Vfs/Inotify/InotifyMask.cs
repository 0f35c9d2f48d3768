namespace Csrunsc.Sentry.Vfs.Inotify;

/// <summary>inotify's event and watch flag bits as Linux numbers them (uapi/linux/inotify.h).</summary>
public static class InotifyMask
{
    public const uint Access = 0x1, Modify = 0x2, Attrib = 0x4, CloseWrite = 0x8, CloseNoWrite = 0x10,
        Open = 0x20, MovedFrom = 0x40, MovedTo = 0x80, Create = 0x100, Delete = 0x200,
        DeleteSelf = 0x400, MoveSelf = 0x800;

    public const uint AllEvents = 0xFFF;

    /// <summary>Events a directory watch also receives for its children (Linux's FS_EVENTS_POSS_ON_CHILD).</summary>
    public const uint OnChild = Access | Modify | Attrib | CloseWrite | CloseNoWrite | Open | MovedFrom | MovedTo | Create | Delete;

    public const uint Unmount = 0x2000, QOverflow = 0x4000, Ignored = 0x8000;

    public const uint OnlyDir = 0x0100_0000, DontFollow = 0x0200_0000, ExclUnlink = 0x0400_0000,
        MaskCreate = 0x1000_0000, MaskAdd = 0x2000_0000, IsDir = 0x4000_0000, OneShot = 0x8000_0000;

    /// <summary>Every bit inotify_add_watch accepts (ALL_INOTIFY_BITS less the output-only ones).</summary>
    public const uint ValidWatchBits = AllEvents | OnlyDir | DontFollow | ExclUnlink | MaskCreate | MaskAdd | OneShot;
}
