using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Dev;
using Csrunsc.Sentry.Fs.Tmpfs;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Boot;

/// <summary>
/// A linux.maskedPaths entry. HostKind is what the path is on the host when the guest's copy of
/// it is synthetic (/proc, /sys): 'd' directory, 'f' other, '-' missing; '?' for paths the
/// guest's own view decides (runc masks what exists in the container's view of the host's proc).
/// </summary>
public sealed record MaskedPath(string Path, char HostKind);

/// <summary>
/// linux.readonlyPaths and linux.maskedPaths as runc applies them, in the Sentry's mount table:
/// a read-only path becomes a read-only mount of itself (writes answer EROFS); a masked directory
/// is covered by an empty read-only tmpfs, a masked file by a /dev/null node (reads see nothing,
/// writes vanish), as runc's bind of /dev/null. Read-only paths first, then masks, as runc; paths
/// that do not exist are skipped.
/// </summary>
public static class PathMasks
{
    public static void Apply(MountTable mounts, IReadOnlyList<string> readOnlyPaths, IReadOnlyList<MaskedPath> maskedPaths)
    {
        foreach (var path in readOnlyPaths)
        {
            string abs = Sandbox.NormalizePath(path);
            if (Resolve(mounts, abs, out Mount? mount, out Inode? inode) < 0) continue;
            // A bind of the path onto itself: its root is the path inside the filesystem it is in.
            string rest = mount!.Path == "/" ? abs : abs[mount.Path.Length..];
            string fsRoot = mount.FsRoot == "/" ? rest : mount.FsRoot + rest;
            mounts.Add(new Mount(abs, mount.FileSystem, inode!, readOnly: true, mount.Source, AddReadOnly(mount.Options), fsRoot));
        }
        TmpfsDeviceNode? devNull = null;
        foreach (var masked in maskedPaths)
        {
            string abs = Sandbox.NormalizePath(masked.Path);
            bool isDir;
            if (masked.HostKind is 'd' or 'f') isDir = masked.HostKind == 'd';
            else if (masked.HostKind == '-' || Resolve(mounts, abs, out _, out Inode? inode) < 0) continue;
            else isDir = inode!.IsDirectory;
            if (isDir)
            {
                var empty = new TmpfsFileSystem("tmpfs", readOnly: true, rootMode: FileMode.Directory | 0x3FF);
                mounts.Add(new Mount(abs, empty, empty.Root, readOnly: true, "tmpfs", "ro"));
            }
            else
            {
                if (devNull is null)
                {
                    DevFileSystem.RegisterDrivers();
                    var fs = new TmpfsFileSystem("devtmpfs");
                    devNull = fs.AddCharDevice("null", DevFileSystem.MemMajor, (uint)MemoryDeviceKind.Null);
                }
                mounts.Add(new Mount(abs, devNull.FileSystem, devNull, readOnly: false, "udev", "rw,nosuid", "/null"));
            }
        }
    }

    private static string AddReadOnly(string options)
    {
        var list = options.Split(',', StringSplitOptions.RemoveEmptyEntries).Where(o => o is not ("rw" or "ro")).ToList();
        list.Insert(0, "ro");
        return string.Join(',', list);
    }

    /// <summary>Walks an absolute path through the mount table (no symlinks: a masked or read-only path through one is skipped).</summary>
    private static int Resolve(MountTable mounts, string abs, out Mount? mount, out Inode? inode)
    {
        mount = mounts.Root;
        inode = mount.Root;
        string cur = "";
        foreach (var name in abs.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (name is "." or "..") return -Errno.EINVAL;
            cur += "/" + name;
            if (mounts.TryGet(cur, out Mount m))
            {
                mount = m;
                inode = m.Root;
                continue;
            }
            if (!inode.IsDirectory) return -Errno.ENOTDIR;
            int r = inode.Lookup(name, out Inode? child);
            if (r < 0) return r;
            if (child!.IsSymlink) return -Errno.ELOOP;
            inode = child;
        }
        return 0;
    }
}
