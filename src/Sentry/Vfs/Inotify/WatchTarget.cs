using Csrunsc.Native;

namespace Csrunsc.Sentry.Vfs.Inotify;

/// <summary>
/// The file a watch is on: (filesystem, inode number), as file locks key theirs, so every Inode
/// object of one file (a gofer file walked twice) reaches the same watches.
/// </summary>
internal readonly record struct WatchTarget(FileSystem FileSystem, ulong Ino)
{
    public static WatchTarget Of(Inode inode)
    {
        inode.GetStat(out StatBuf st);
        return new WatchTarget(inode.FileSystem, st.Ino);
    }
}
