using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Tmpfs;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Boot;

/// <summary>
/// Mount points missing from the filesystem beneath them, made as runc makes them: each missing
/// directory on the way to a mount's destination (and the destination itself, for a directory
/// mount) is created (0755, root) in the filesystem it falls in, so `ls` of the parent shows it and
/// the mount is reachable. Where that filesystem refuses (read-only rootfs), a read-only tmpfs
/// holding the rest of the missing path is mounted at the first missing directory instead, so
/// the tree looks as runc leaves it. Symlinks on the way are not followed (the walk stops there;
/// the mount is then reached only by its own path).
/// </summary>
internal static class MountPoints
{
    private const uint DirMode = 0x1ED; // 0755

    public static void Ensure(MountTable mounts, string destination, bool destinationIsDirectory)
    {
        var parts = destination.Split('/', StringSplitOptions.RemoveEmptyEntries);
        int count = destinationIsDirectory ? parts.Length : parts.Length - 1;
        var mount = mounts.Root;
        Inode dir = mount.Root;
        TmpfsFileSystem? filler = null; // the read-only stand-in made by this call, writable until the walk ends
        string abs = "";
        for (int i = 0; i < count; i++)
        {
            abs += "/" + parts[i];
            if (mounts.TryGet(abs, out var over))
            {
                mount = over;
                dir = over.Root;
                continue;
            }
            int r = dir.Lookup(parts[i], out Inode? child);
            bool writable = dir.FileSystem == filler || (!mount.ReadOnly && !dir.FileSystem.ReadOnly);
            if (r == -Errno.ENOENT && writable && dir.Mkdir(parts[i], DirMode, 0, 0) == 0)
                r = dir.Lookup(parts[i], out child);
            if (r == 0 && child!.IsDirectory)
            {
                dir = child;
                continue;
            }
            // A file or symlink there is left to path resolution; a missing destination is the mount's own path.
            if ((r != -Errno.ENOENT && r != -Errno.EROFS) || i == parts.Length - 1) break;
            filler = new TmpfsFileSystem("tmpfs", readOnly: false, rootMode: 0x4000 | DirMode);
            mount = new Mount(abs, filler, filler.Root, readOnly: true, "none", "ro");
            mounts.Add(mount);
            dir = mount.Root;
        }
        if (filler is not null) filler.ReadOnly = true;
    }
}
