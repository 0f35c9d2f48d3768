namespace Csrunsc.Sentry.Vfs.Lock;

/// <summary>
/// Which file a lock is on: (filesystem, inode number), so every description and every Inode
/// object of one file meet in one <see cref="FileLockState"/> (a gofer file may be walked into
/// several GoferInode objects). A description without an inode is its own key.
/// </summary>
internal readonly record struct LockKey(object Scope, ulong Ino)
{
    public static LockKey Of(FileDescription file)
    {
        var inode = file.Inode;
        if (inode is null) return new LockKey(file, 0);
        inode.GetStat(out var st);
        return new LockKey(inode.FileSystem, st.Ino);
    }
}
