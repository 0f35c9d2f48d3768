using Csrunsc.Native;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Vfs;

/// <summary>
/// Resolves guest paths in the guest's view, one component at a time (Linux's path walk): the
/// host never resolves a guest path, so symlinks, "..", mount points and the task's root are all
/// interpreted here. Every method answers 0 or -errno.
/// </summary>
public static class PathResolver
{
    /// <summary>Symlinks followed in one resolution before ELOOP (Linux's MAXSYMLINKS).</summary>
    public const int MaxSymlinks = 40;

    /// <summary>Longest path component (NAME_MAX).</summary>
    public const int NameMax = 255;

    /// <summary>Longest path the guest may pass, including the NUL (PATH_MAX).</summary>
    public const int PathMax = 4096;

    /// <summary>
    /// Resolves path relative to dirfd (AT_FDCWD = the working directory; ignored for absolute
    /// paths). followFinal says whether a symlink as the last component is followed; a trailing
    /// slash always follows it and requires a directory.
    /// </summary>
    public static int Resolve(Task t, int dirfd, string path, bool followFinal, out VfsPath? result)
    {
        result = null;
        if (path.Length == 0) return -Errno.ENOENT;
        int r = StartDir(t, dirfd, path, out VfsPath? start);
        if (r < 0) return r;
        int links = 0;
        return Walk(t, start!, path, followFinal, ref links, out result);
    }

    /// <summary>
    /// Resolves everything but the last component of path (for create, mkdir, unlink, rename, link,
    /// symlink, mknod): parent is the directory, name the final component, which may be "." or ".."
    /// (callers answer EEXIST/EINVAL/EBUSY as the operation does in Linux). Trailing slashes are
    /// stripped; "/" itself answers name ".".
    /// </summary>
    public static int ResolveParent(Task t, int dirfd, string path, out VfsPath? parent, out string name) =>
        ResolveParent(t, dirfd, path, out parent, out name, out _);

    /// <summary>As <see cref="ResolveParent(Task,int,string,out VfsPath?,out string)"/>, also saying whether the path ended in '/'.</summary>
    public static int ResolveParent(Task t, int dirfd, string path, out VfsPath? parent, out string name, out bool trailingSlash)
    {
        parent = null;
        name = "";
        trailingSlash = false;
        if (path.Length == 0) return -Errno.ENOENT;

        int end = path.Length;
        while (end > 0 && path[end - 1] == '/') end--;
        trailingSlash = end < path.Length;
        if (end == 0)
        {
            // "/" or "//...": the root itself.
            parent = t.Fs.Root;
            name = ".";
            return 0;
        }
        int slash = path.LastIndexOf('/', end - 1);
        name = slash < 0 ? (end == path.Length ? path : path[..end]) : path.Substring(slash + 1, end - slash - 1);
        if (name.Length > NameMax) return -Errno.ENAMETOOLONG;

        VfsPath? dir;
        if (slash < 0)
        {
            int r = StartDir(t, dirfd, path, out dir);
            if (r < 0) return r;
        }
        else
        {
            int r = StartDir(t, dirfd, path, out VfsPath? start);
            if (r < 0) return r;
            int links = 0;
            // Keep the slash so that the directory part must be a directory.
            r = Walk(t, start!, path[..(slash + 1)], followFinal: true, ref links, out dir);
            if (r < 0) return r;
        }
        if (!dir!.Inode.IsDirectory) return -Errno.ENOTDIR;
        // The last component is looked up in dir too: Linux checks search permission on it first.
        int perm = MayLookup(t, dir.Inode);
        if (perm < 0) return perm;
        parent = dir;
        return 0;
    }

    /// <summary>
    /// Search (x) permission on a directory before looking a name up in it (may_lookup): the
    /// owner, group or other class alone decides; CAP_DAC_READ_SEARCH or CAP_DAC_OVERRIDE overrides.
    /// </summary>
    public static int MayLookup(Task t, Inode dir)
    {
        uint mode = dir.Mode;
        if ((mode & 0x49) == 0x49) return 0; // 0111: every class may search
        var creds = t.ThreadGroup.Creds;
        if (dir.GetStat(out StatBuf st) < 0) return -Errno.EACCES;
        uint bit;
        int unmapped = dir.UnmappedIds;
        if (creds.Fsuid == st.Uid && (unmapped & Inode.UnmappedUid) == 0) bit = 0x40;
        else if ((unmapped & Inode.UnmappedGid) == 0 && (creds.Fsgid == st.Gid || Array.IndexOf(creds.Groups, st.Gid) >= 0)) bit = 0x8;
        else bit = 0x1;
        if ((mode & bit) != 0) return 0;
        if ((Kernel.Capabilities.Has(t, Kernel.Capabilities.DAC_READ_SEARCH) || Kernel.Capabilities.Has(t, Kernel.Capabilities.DAC_OVERRIDE))
            && dir.OwnerMapped) return 0;
        return -Errno.EACCES;
    }

    /// <summary>The directory a relative path starts from: the cwd or dirfd's location. Absolute paths start at the root.</summary>
    public static int StartDir(Task t, int dirfd, string path, out VfsPath? start)
    {
        start = null;
        if (path.Length > 0 && path[0] == '/')
        {
            start = t.Fs.Root;
            return 0;
        }
        if (dirfd == Libc.AT_FDCWD)
        {
            start = t.Fs.Cwd;
            return 0;
        }
        var file = t.Fds.Get(dirfd);
        if (file is null) return -Errno.EBADF;
        var loc = file.Location;
        if (loc is null || !loc.Inode.IsDirectory) return -Errno.ENOTDIR;
        start = loc;
        return 0;
    }

    /// <summary>True when a and b name the same place (same inode in the same mount).</summary>
    public static bool SameLocation(VfsPath a, VfsPath b) =>
        ReferenceEquals(a, b) || (ReferenceEquals(a.Inode, b.Inode) && ReferenceEquals(a.Mount, b.Mount));

    private static int Walk(Task t, VfsPath start, string path, bool followFinal, ref int links, out VfsPath? result)
    {
        result = null;
        var root = t.Fs.Root;
        var cur = path[0] == '/' ? root : start;
        int len = path.Length;
        int i = 0;
        while (true)
        {
            while (i < len && path[i] == '/') i++;
            if (i >= len) break;
            int compEnd = path.IndexOf('/', i);
            if (compEnd < 0) compEnd = len;
            int next = compEnd;
            while (next < len && path[next] == '/') next++;
            bool isLast = next >= len;
            bool trailingSlash = isLast && compEnd < len;
            int compLen = compEnd - i;

            if (!cur.Inode.IsDirectory) return -Errno.ENOTDIR;
            int perm = MayLookup(t, cur.Inode);
            if (perm < 0) return perm;

            if (compLen == 1 && path[i] == '.')
            {
                i = next;
                continue;
            }
            if (compLen == 2 && path[i] == '.' && path[i + 1] == '.')
            {
                if (!SameLocation(cur, root) && cur.Parent is not null) cur = cur.Parent;
                i = next;
                continue;
            }
            if (compLen > NameMax) return -Errno.ENAMETOOLONG;

            string name = path.Substring(i, compLen);
            int r = LookupChild(t, cur, name, out VfsPath? child);
            if (r < 0) return r;

            if (child!.Inode.IsSymlink && (!isLast || followFinal || trailingSlash))
            {
                if (++links > MaxSymlinks) return -Errno.ELOOP;
                if (child.Inode is IMagicLink magic && magic.JumpTarget() is { } jump)
                {
                    cur = jump;
                    if (trailingSlash && !cur.Inode.IsDirectory) return -Errno.ENOTDIR;
                    i = next;
                    continue;
                }
                r = child.Inode.ReadLink(out string? target);
                if (r < 0) return r;
                if (string.IsNullOrEmpty(target)) return -Errno.ENOENT;
                r = Walk(t, cur, target, followFinal: true, ref links, out child);
                if (r < 0) return r;
            }
            cur = child!;
            if (trailingSlash && !cur.Inode.IsDirectory) return -Errno.ENOTDIR;
            i = next;
        }
        result = cur;
        return 0;
    }

    /// <summary>
    /// Steps from dir into its child name (never empty, "." or ".."), crossing onto a filesystem
    /// mounted there. Does not follow a symlink.
    /// </summary>
    public static int LookupChild(Task t, VfsPath dir, string name, out VfsPath? child)
    {
        child = null;
        // A mount point is looked up first: its root hides whatever the parent filesystem has there,
        // and the mount point need not exist in the parent (the sandbox mounts over missing dirs).
        string abs = dir.Parent is null ? "/" + name : dir.AbsolutePath + "/" + name;
        if (t.ThreadGroup.Container.Mounts.TryGet(abs, out Mount m))
        {
            child = new VfsPath(m, m.Root, dir, name);
            return 0;
        }
        int r = dir.Inode.Lookup(name, out Inode? inode);
        if (r < 0) return r;
        child = new VfsPath(dir.Mount, inode!, dir, name);
        return 0;
    }

    /// <summary>Whether changing something under this location must answer EROFS.</summary>
    public static bool IsReadOnly(VfsPath p) => p.Mount.ReadOnly || p.Inode.FileSystem.ReadOnly;
}
