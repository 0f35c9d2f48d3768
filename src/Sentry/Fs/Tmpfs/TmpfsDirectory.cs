using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Tmpfs;

/// <summary>
/// A tmpfs directory: name → inode, in insertion order. All namespace changes of one filesystem
/// hold its <see cref="TmpfsFileSystem.TreeLock"/>, which makes rename across directories simple.
/// </summary>
public sealed class TmpfsDirectory : TmpfsNode
{
    public const int NameMax = 255;

    private readonly Dictionary<string, Inode> _children = new(StringComparer.Ordinal);

    public TmpfsDirectory(TmpfsFileSystem fs, uint permissions, uint uid, uint gid, TmpfsDirectory? parent)
        : base(fs, FileMode.Directory | (permissions & 0xFFF), uid, gid)
    {
        Parent = parent;
        Nlink = parent is null ? 2UL : 1UL;
    }

    /// <summary>The directory holding this one (null for the root). Guarded by the tree lock.</summary>
    public TmpfsDirectory? Parent { get; private set; }

    /// <summary>Set once rmdir'd: nothing may be created in it any more.</summary>
    public bool Removed { get; private set; }

    public int Count
    {
        get { lock (Fs.TreeLock) return _children.Count; }
    }

    // shmem's BOGO_DIRENT_SIZE: 20 per entry, with "." and ".." (an empty directory is 40 bytes).
    protected override long StatSize => 20L * (_children.Count + 2);

    public override int Open(int flags, out FileDescription? file) => DirectoryFileDescription.Open(this, flags, out file);

    public override int Lookup(string name, out Inode? child)
    {
        lock (Fs.TreeLock)
        {
            if (_children.TryGetValue(name, out child)) return 0;
        }
        return -Errno.ENOENT;
    }

    public override int ReadDir(List<DirEntry> into)
    {
        lock (Fs.TreeLock)
        {
            foreach (var (name, node) in _children)
            {
                if (node is TmpfsNode t)
                {
                    into.Add(new DirEntry(name, t.Ino, FileMode.DirentType(t.Mode)));
                }
                else
                {
                    node.GetStat(out StatBuf st);
                    into.Add(new DirEntry(name, st.Ino, FileMode.DirentType(st.Mode)));
                }
            }
        }
        return 0;
    }

    public override int Create(string name, int flags, uint mode, uint uid, uint gid, out Inode? child, out FileDescription? file)
    {
        child = null;
        file = null;
        var node = new TmpfsRegularFile(Fs, mode, uid, gid);
        int r = AddNew(name, node);
        if (r < 0) return r;
        child = node;
        return node.Open(flags & ~Libc.O_TRUNC, out file);
    }

    /// <summary>O_TMPFILE: a regular file with no name in this directory's filesystem, open; linkable once (linkat) when asked.</summary>
    public int CreateUnnamed(int flags, uint mode, uint uid, uint gid, bool linkable, out Inode? child, out FileDescription? file)
    {
        child = null;
        file = null;
        if (Fs.ReadOnly) return -Errno.EROFS;
        if (!Fs.TakeInode()) return -Errno.ENOSPC;
        var node = new TmpfsRegularFile(Fs, mode, uid, gid) { CountsInode = true, Linkable = linkable };
        int r = node.Open(flags & ~Libc.O_TRUNC, out file);
        if (r < 0)
        {
            Fs.ReturnInode();
            return r;
        }
        child = node;
        return 0;
    }

    public override int Mkdir(string name, uint mode, uint uid, uint gid) =>
        AddNew(name, new TmpfsDirectory(Fs, mode, uid, gid, this));

    public override int Mknod(string name, uint mode, ulong dev, uint uid, uint gid)
    {
        TmpfsNode node;
        switch (mode & FileMode.TypeMask)
        {
            case 0:
            case FileMode.Regular:
                node = new TmpfsRegularFile(Fs, mode, uid, gid);
                break;
            case FileMode.Fifo:
                node = new TmpfsFifo(Fs, mode & 0xFFF, uid, gid);
                break;
            case FileMode.CharDevice:
            case FileMode.Block:
            case FileMode.Socket:
                node = new TmpfsDeviceNode(Fs, mode, dev, uid, gid);
                break;
            default:
                return -Errno.EINVAL;
        }
        return AddNew(name, node);
    }

    public override int Symlink(string name, string target, uint uid, uint gid) =>
        AddNew(name, new TmpfsSymlink(Fs, target, uid, gid));

    public override int Link(string name, Inode target)
    {
        if (target is not TmpfsNode node || node.Fs != Fs) return -Errno.EXDEV;
        if (node.IsDirectory) return -Errno.EPERM;
        lock (Fs.TreeLock)
        {
            // An unlinked inode comes back only from O_TMPFILE without O_EXCL, once (I_LINKABLE).
            if (node.Nlink == 0 && !node.Linkable) return -Errno.ENOENT;
            int r = AddChildLocked(name, node, force: false);
            if (r < 0) return r;
            node.Linkable = false;
        }
        node.TouchChanged();
        return 0;
    }

    /// <summary>Adds any inode (a device, a node of another kind) under name; for pre-population (ignores read-only).</summary>
    public int AddChild(string name, Inode node)
    {
        lock (Fs.TreeLock) return AddChildLocked(name, node, force: true);
    }

    private int AddNew(string name, TmpfsNode node)
    {
        if (!Fs.TakeInode()) return -Errno.ENOSPC;
        node.CountsInode = true;
        int r;
        lock (Fs.TreeLock) r = AddChildLocked(name, node, force: false);
        if (r < 0) Fs.ReturnInode();
        return r;
    }

    public override int Unlink(string name, bool dir)
    {
        if (Fs.ReadOnly) return -Errno.EROFS;
        Inode? victim;
        lock (Fs.TreeLock)
        {
            if (!_children.TryGetValue(name, out victim)) return -Errno.ENOENT;
            if (dir && !victim.IsDirectory) return -Errno.ENOTDIR;
            if (!dir && victim.IsDirectory) return -Errno.EISDIR;
            if (victim is TmpfsDirectory d && d._children.Count > 0) return -Errno.ENOTEMPTY;
            _children.Remove(name);
            Detach(victim);
        }
        TouchModified();
        return 0;
    }

    public override int Rename(string oldName, Inode newParent, string newName)
    {
        if (Fs.ReadOnly) return -Errno.EROFS;
        if (newParent is not TmpfsDirectory dst || dst.Fs != Fs) return -Errno.EXDEV;
        if (newName.Length > NameMax) return -Errno.ENAMETOOLONG;
        Inode? replaced;
        Inode? moving;
        lock (Fs.TreeLock)
        {
            if (!_children.TryGetValue(oldName, out moving)) return -Errno.ENOENT;
            if (dst.Removed) return -Errno.ENOENT;
            dst._children.TryGetValue(newName, out replaced);
            if (ReferenceEquals(replaced, moving)) return 0;
            if (moving is TmpfsDirectory movingDir)
            {
                // A directory cannot move below itself.
                for (var p = dst; p is not null; p = p.Parent)
                {
                    if (p == movingDir) return -Errno.EINVAL;
                }
                if (replaced is not null && !replaced.IsDirectory) return -Errno.ENOTDIR;
            }
            else if (replaced is not null && replaced.IsDirectory)
            {
                return -Errno.EISDIR;
            }
            if (replaced is TmpfsDirectory rd && rd._children.Count > 0) return -Errno.ENOTEMPTY;

            _children.Remove(oldName);
            if (replaced is not null) dst.Detach(replaced);
            dst._children[newName] = moving;
            if (moving is TmpfsDirectory md)
            {
                Nlink--;
                dst.Nlink++;
                md.Parent = dst;
            }
        }
        if (moving is TmpfsNode mn) mn.TouchChanged();
        TouchModified();
        if (dst != this) dst.TouchModified();
        return 0;
    }

    private int AddChildLocked(string name, Inode node, bool force)
    {
        if (Fs.ReadOnly && !force) return -Errno.EROFS;
        if (name.Length > NameMax) return -Errno.ENAMETOOLONG;
        if (Removed) return -Errno.ENOENT;
        if (!_children.TryAdd(name, node)) return -Errno.EEXIST;
        if (node is TmpfsNode t)
        {
            t.Nlink++;
            if (node is TmpfsDirectory d)
            {
                Nlink++;
                d.Parent = this;
            }
        }
        TouchModified();
        return 0;
    }

    /// <summary>Drops the link from this directory to node (already removed from the map). Tree lock held.</summary>
    private void Detach(Inode node)
    {
        if (node is TmpfsDirectory d)
        {
            Nlink--;
            d.Nlink = 0;
            d.Removed = true;
            d.TouchChanged();
            d.Unlinked();
        }
        else if (node is TmpfsNode t)
        {
            t.Nlink--;
            t.TouchChanged();
            if (t.Nlink == 0) t.Unlinked();
        }
    }
}
