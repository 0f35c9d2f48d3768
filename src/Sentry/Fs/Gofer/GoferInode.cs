using Csrunsc.Gofer;
using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Host;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Gofer;

/// <summary>
/// A file in a gofer-backed filesystem: a gofer fid plus its cached stat. Directories cache the
/// children they have walked (dropped on any change to the directory); regular files keep st_size
/// current through an open host fd, or ask the gofer again after a change.
/// </summary>
public sealed class GoferInode : Inode
{
    private const int MaxCachedChildren = 1024;

    private readonly GoferFileSystem _fs;
    private readonly uint _fid;
    private StatBuf _stat;
    private long _statGeneration;
    private Dictionary<string, GoferInode>? _children;
    /// <summary>Children dropped from a full cache, held weakly: one still in use is joined again, not duplicated.</summary>
    private Dictionary<string, WeakReference<GoferInode>>? _evicted;
    private string? _linkTarget;
    private WeakReference<HostFileDescription>? _openFile;

    internal GoferInode(GoferFileSystem fs, uint fid, in StatBuf stat, string name)
    {
        _fs = fs;
        _fid = fid;
        _stat = stat;
        _statGeneration = fs.Generation;
        Name = name;
    }

    ~GoferInode()
    {
        if (!ReferenceEquals(_fs.Root, this)) _fs.ForgetFid(_fid);
    }

    public override FileSystem FileSystem => _fs;

    public uint Fid => _fid;

    /// <summary>The name this inode was walked by (for debugging).</summary>
    public string Name { get; }

    public override uint Mode
    {
        get { lock (this) return _stat.Mode; }
    }

    private bool ReadOnly => _fs.ReadOnly;

    public override int GetStat(out StatBuf stat)
    {
        StatBuf st;
        bool refresh;
        lock (this)
        {
            st = _stat;
            refresh = FileMode.IsRegular(st.Mode) && _statGeneration != _fs.Generation;
        }
        if (FileMode.IsRegular(st.Mode) && OpenHostFd() is { } open && open.GetHostStat(out StatBuf host) == 0)
        {
            st.Size = host.Size;
            st.Blocks = host.Blocks;
            st.Nlink = host.Nlink;
            st.AtimeSec = host.AtimeSec; st.AtimeNsec = host.AtimeNsec;
            st.MtimeSec = host.MtimeSec; st.MtimeNsec = host.MtimeNsec;
            st.CtimeSec = host.CtimeSec; st.CtimeNsec = host.CtimeNsec;
        }
        else if (refresh)
        {
            long gen = _fs.Generation;
            if (_fs.Client.Stat(_fid, out StatBuf fresh) == 0)
            {
                lock (this)
                {
                    _stat = fresh;
                    _statGeneration = gen;
                }
                st = fresh;
            }
        }
        st.Dev = _fs.Dev;
        var users = _fs.Users;
        if (!users.IsIdentity)
        {
            // The gofer speaks host ids; the guest sees its namespace's (65534 for an unmapped one).
            st.Uid = users.Uids.ToContainerOrOverflow(st.Uid);
            st.Gid = users.Gids.ToContainerOrOverflow(st.Gid);
        }
        stat = st;
        return 0;
    }

    public override int UnmappedIds
    {
        get
        {
            var users = _fs.Users;
            if (users.IsIdentity) return 0;
            uint uid, gid;
            lock (this)
            {
                uid = _stat.Uid;
                gid = _stat.Gid;
            }
            return (users.Uids.ToContainer(uid) == Kernel.IdMap.Invalid ? UnmappedUid : 0)
                | (users.Gids.ToContainer(gid) == Kernel.IdMap.Invalid ? UnmappedGid : 0);
        }
    }

    /// <summary>
    /// The host ids for a file the guest makes in this directory as container ids uid/gid; false
    /// when one has no mapping (Linux: EOVERFLOW, fsuidgid_has_mapping). gid
    /// <see cref="Kernel.IdMap.Invalid"/>: this set-group-id directory's own group, unmapped
    /// (FilePermissions.NewOwner), which the new file inherits as it is on the host.
    /// </summary>
    private bool HostIds(ref uint uid, ref uint gid)
    {
        var users = _fs.Users;
        if (users.IsIdentity) return true;
        uid = users.Uids.ToHost(uid);
        if (gid == Kernel.IdMap.Invalid)
        {
            lock (this) gid = _stat.Gid;
        }
        else gid = users.Gids.ToHost(gid);
        return uid != Kernel.IdMap.Invalid && gid != Kernel.IdMap.Invalid;
    }

    public override int Lookup(string name, out Inode? child)
    {
        child = null;
        if (!IsDirectory) return -Errno.ENOTDIR;
        lock (this)
        {
            if (_children is not null && _children.TryGetValue(name, out var cached))
            {
                child = cached;
                return 0;
            }
        }
        _fs.FlushDeadFids();
        int r = _fs.Client.Walk(_fid, name, out uint fid, out StatBuf st);
        if (r < 0) return r;
        child = CacheOrJoin(name, fid, st);
        return 0;
    }

    public override int ReadDir(List<DirEntry> into)
    {
        if (!IsDirectory) return -Errno.ENOTDIR;
        var entries = new List<GoferDirEntry>();
        int r = _fs.Client.ReadDir(_fid, entries);
        if (r < 0) return r;
        foreach (var e in entries)
        {
            if (e.Name is "." or "..") continue;
            into.Add(new DirEntry(e.Name, e.Ino, e.Type));
        }
        return 0;
    }

    public override int Open(int flags, out FileDescription? file)
    {
        file = null;
        if ((flags & Libc.O_PATH) != 0)
        {
            file = new PathFileDescription(this, flags);
            return 0;
        }
        uint type = Mode & FileMode.TypeMask;
        if (type == FileMode.Directory) return DirectoryFileDescription.Open(this, flags, out file);
        if (type == FileMode.Symlink) return -Errno.ELOOP;
        if (type == FileMode.Socket) return -Errno.ENXIO;
        bool write = (flags & Libc.O_ACCMODE) != Libc.O_RDONLY || (flags & Libc.O_TRUNC) != 0;
        if (write && ReadOnly) return -Errno.EROFS;
        int hostFlags = flags & ~(Libc.O_CREAT | Libc.O_EXCL | Libc.O_CLOEXEC | Libc.O_NOCTTY | Libc.O_PATH);
        // Access mode 3 (ioctls only) was allowed for read and write: the host file is opened
        // O_RDWR, the description keeps mode 3 and so neither reads nor writes.
        if ((hostFlags & Libc.O_ACCMODE) == Libc.O_ACCMODE) hostFlags = (hostFlags & ~Libc.O_ACCMODE) | Libc.O_RDWR;
        int r = _fs.Client.Open(_fid, hostFlags, out int hostFd);
        if (r < 0) return r;
        if (write) _fs.Changed();
        file = Track(new HostFileDescription(hostFd, flags, ownsFd: true, this));
        return 0;
    }

    public override int ReadLink(out string? target)
    {
        target = null;
        if (!IsSymlink) return -Errno.EINVAL;
        lock (this) target = _linkTarget;
        if (target is not null) return 0;
        int r = _fs.Client.Readlink(_fid, out string t);
        if (r < 0) return r;
        lock (this) _linkTarget = t;
        target = t;
        return 0;
    }

    public override int Create(string name, int flags, uint mode, uint uid, uint gid, out Inode? child, out FileDescription? file)
    {
        child = null;
        file = null;
        if (!IsDirectory) return -Errno.ENOTDIR;
        if (ReadOnly) return -Errno.EROFS;
        if (!HostIds(ref uid, ref gid)) return -Errno.EOVERFLOW;
        int hostFlags = (flags & ~(Libc.O_CLOEXEC | Libc.O_NOCTTY | Libc.O_PATH)) | Libc.O_CREAT | Libc.O_EXCL;
        int r = _fs.Client.Create(_fid, name, hostFlags, mode & 0xFFF, uid, gid, out uint fid, out StatBuf st, out int hostFd);
        if (r < 0) return r;
        _fs.Changed();
        var node = CacheOrJoin(name, fid, st);
        child = node;
        file = node.Track(new HostFileDescription(hostFd, flags, ownsFd: true, node));
        return 0;
    }

    public override int Mkdir(string name, uint mode, uint uid, uint gid)
    {
        if (!HostIds(ref uid, ref gid)) return -Errno.EOVERFLOW;
        return Made(name, _fs.Client.Mkdir(_fid, name, mode & 0xFFF, uid, gid, out uint fid, out StatBuf st), fid, st);
    }

    public override int Mknod(string name, uint mode, ulong dev, uint uid, uint gid)
    {
        if ((mode & FileMode.TypeMask) is FileMode.CharDevice or FileMode.Block) return -Errno.EPERM;
        if (!HostIds(ref uid, ref gid)) return -Errno.EOVERFLOW;
        return Made(name, _fs.Client.Mknod(_fid, name, mode, dev, uid, gid, out uint fid, out StatBuf st), fid, st);
    }

    public override int Symlink(string name, string target, uint uid, uint gid)
    {
        if (!HostIds(ref uid, ref gid)) return -Errno.EOVERFLOW;
        return Made(name, _fs.Client.Symlink(_fid, name, target, uid, gid, out uint fid, out StatBuf st), fid, st);
    }

    public override int Link(string name, Inode target)
    {
        if (target is not GoferInode t || t._fs != _fs) return -Errno.EXDEV;
        int r = Made(name, _fs.Client.Link(_fid, name, t._fid, out uint fid, out StatBuf st), fid, st);
        if (r == 0) t.MarkStale();
        return r;
    }

    public override int Unlink(string name, bool dir)
    {
        if (!IsDirectory) return -Errno.ENOTDIR;
        if (ReadOnly) return -Errno.EROFS;
        int r = _fs.Client.Unlink(_fid, name, dir ? Libc.AT_REMOVEDIR : 0);
        GoferInode? gone;
        lock (this)
        {
            gone = _children?.GetValueOrDefault(name);
            if (gone is null && _evicted?.GetValueOrDefault(name) is { } weak && weak.TryGetTarget(out var live)) gone = live;
        }
        Invalidate(name);
        if (r < 0) return r;
        gone?.MarkStale();
        _fs.Changed();
        return 0;
    }

    public override int Rename(string oldName, Inode newParent, string newName)
    {
        if (newParent is not GoferInode np || np._fs != _fs) return -Errno.EXDEV;
        if (ReadOnly) return -Errno.EROFS;
        int r = _fs.Client.Rename(_fid, oldName, np._fid, newName);
        Invalidate(oldName);
        np.Invalidate(newName);
        if (r < 0) return r;
        _fs.Changed();
        return 0;
    }

    public override int SetAttr(in SetAttrRequest request)
    {
        if (ReadOnly) return -Errno.EROFS;
        uint uid = request.Uid, gid = request.Gid;
        var users = _fs.Users;
        if (!users.IsIdentity)
        {
            // chown checked the ids have a mapping (EINVAL); an unchanged one is not sent.
            if ((request.Mask & SetAttrRequest.UidBit) != 0 && (uid = users.Uids.ToHost(uid)) == Kernel.IdMap.Invalid) return -Errno.EINVAL;
            if ((request.Mask & SetAttrRequest.GidBit) != 0 && (gid = users.Gids.ToHost(gid)) == Kernel.IdMap.Invalid) return -Errno.EINVAL;
        }
        var attr = new GoferSetAttr
        {
            Mode = request.Mode & 0xFFF,
            Uid = uid,
            Gid = gid,
            Size = (ulong)Math.Max(0, request.Size),
            AtimeSec = request.Atime.Sec,
            AtimeNsec = request.Atime.Nsec,
            MtimeSec = request.Mtime.Sec,
            MtimeNsec = request.Mtime.Nsec,
        };
        if ((request.Mask & SetAttrRequest.ModeBit) != 0) attr.Mask |= SetAttrMask.Mode;
        if ((request.Mask & SetAttrRequest.UidBit) != 0) attr.Mask |= SetAttrMask.Uid;
        if ((request.Mask & SetAttrRequest.GidBit) != 0) attr.Mask |= SetAttrMask.Gid;
        if ((request.Mask & SetAttrRequest.SizeBit) != 0)
        {
            if (request.Size < 0) return -Errno.EINVAL;
            if (IsDirectory) return -Errno.EISDIR;
            attr.Mask |= SetAttrMask.Size;
        }
        if ((request.Mask & SetAttrRequest.AtimeBit) != 0) attr.Mask |= SetAttrMask.Atime;
        if ((request.Mask & SetAttrRequest.MtimeBit) != 0) attr.Mask |= SetAttrMask.Mtime;
        long gen = _fs.Generation;
        int r = _fs.Client.SetAttr(_fid, attr, out StatBuf st);
        if (r < 0) return r;
        lock (this)
        {
            _stat = st;
            _statGeneration = gen;
        }
        return 0;
    }

    public override void ContentsMayHaveChanged() => MarkStale();

    /// <summary>Forces the next stat to ask the gofer (link count or contents changed behind this inode).</summary>
    internal void MarkStale()
    {
        lock (this) _statGeneration = -1;
    }

    private int Made(string name, int r, uint fid, in StatBuf st)
    {
        if (r < 0) return r;
        _fs.Changed();
        Invalidate(name);
        Cache(name, new GoferInode(_fs, fid, st, name));
        lock (this)
        {
            if (FileMode.IsDir(st.Mode)) _statGeneration = -1;
        }
        return 0;
    }

    /// <summary>
    /// The inode for a name just walked or created: the cached one when a concurrent lookup or
    /// create of the same host file got there first (its fid is dropped), else a new one, cached.
    /// One host file must be one Inode: MAP_SHARED pages (SQLite's -shm wal-index shared by two
    /// processes), cached attributes and open-file tracking hang on the Inode object.
    /// </summary>
    private GoferInode CacheOrJoin(string name, uint fid, in StatBuf st)
    {
        lock (this)
        {
            if (_children is not null && _children.TryGetValue(name, out var raced) && raced.IsHostFile(st))
            {
                _fs.ForgetFid(fid);
                return raced;
            }
            if (_evicted is not null && _evicted.Remove(name, out var weak) && weak.TryGetTarget(out var live) && live.IsHostFile(st))
            {
                _fs.ForgetFid(fid);
                _children![name] = live;
                return live;
            }
        }
        var node = new GoferInode(_fs, fid, st, name);
        Cache(name, node);
        return node;
    }

    private bool IsHostFile(in StatBuf st)
    {
        lock (this) return _stat.Ino == st.Ino && _stat.Dev == st.Dev && ((_stat.Mode ^ st.Mode) & FileMode.TypeMask) == 0;
    }

    private void Cache(string name, GoferInode node)
    {
        lock (this)
        {
            _children ??= new Dictionary<string, GoferInode>(StringComparer.Ordinal);
            if (_children.Count >= MaxCachedChildren) Evict();
            _children[name] = node;
        }
    }

    /// <summary>Empties the full child cache into the weak table (dead entries pruned). Caller holds the lock.</summary>
    private void Evict()
    {
        _evicted ??= new Dictionary<string, WeakReference<GoferInode>>(StringComparer.Ordinal);
        if (_evicted.Count >= 4 * MaxCachedChildren)
        {
            foreach (var (name, weak) in _evicted)
            {
                if (!weak.TryGetTarget(out _)) _evicted.Remove(name);
            }
        }
        foreach (var (name, node) in _children!) _evicted[name] = new WeakReference<GoferInode>(node);
        _children.Clear();
    }

    private void Invalidate(string name)
    {
        lock (this)
        {
            _children?.Remove(name);
            _evicted?.Remove(name);
        }
    }

    private HostFileDescription Track(HostFileDescription file)
    {
        if (file.Writable || _openFile is null || !_openFile.TryGetTarget(out var cur) || cur.RawHostFd < 0)
        {
            lock (this) _openFile = new WeakReference<HostFileDescription>(file);
        }
        return file;
    }

    private HostFileDescription? OpenHostFd()
    {
        WeakReference<HostFileDescription>? w;
        lock (this) w = _openFile;
        if (w is null || !w.TryGetTarget(out var f) || f.RawHostFd < 0) return null;
        return f;
    }
}
