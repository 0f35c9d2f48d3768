using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Tmpfs;

/// <summary>
/// Metadata every tmpfs inode keeps in memory: inode number, mode, owner, link count, times.
/// The node itself is the lock for its metadata (and for a regular file's data).
/// </summary>
public abstract class TmpfsNode : Inode
{
    private uint _mode;
    private uint _uid, _gid;
    private Timespec _atime, _mtime, _ctime;

    protected TmpfsNode(TmpfsFileSystem fs, uint mode, uint uid, uint gid)
    {
        Fs = fs;
        Ino = fs.NextIno();
        _mode = mode;
        _uid = uid;
        _gid = gid;
        _atime = _mtime = _ctime = MonotonicClock.Now();
    }

    public TmpfsFileSystem Fs { get; }

    private XattrStore? _xattrs;

    /// <summary>user.*, trusted.* and security.* attributes, as shmem's simple_xattrs.</summary>
    public override XattrStore Xattrs => LazyInitializer.EnsureInitialized(ref _xattrs, () => new XattrStore(TouchChanged));

    public override FileSystem FileSystem => Fs;

    public ulong Ino { get; }

    public override uint Mode => Volatile.Read(ref _mode);

    /// <summary>Hard links to this inode (directories: 2 + subdirectories). Guarded by the tree lock.</summary>
    public ulong Nlink { get; internal set; }

    /// <summary>st_size as stat reports it.</summary>
    protected virtual long StatSize => 0;

    /// <summary>st_blocks (512-byte units) as stat reports it.</summary>
    protected virtual long StatBlocks => 0;

    protected virtual ulong Rdev => 0;

    public override int GetStat(out StatBuf stat)
    {
        lock (this)
        {
            stat = StatFactory.Make(Fs.Dev, Ino, _mode, Nlink, _uid, _gid, StatSize, _atime, _mtime, _ctime, Rdev);
            stat.Blocks = StatBlocks;
        }
        return 0;
    }

    /// <summary>Sets the owner and permissions at mount time (read-only mounts too).</summary>
    internal void SetOwnerAndMode(uint mode, uint uid, uint gid)
    {
        lock (this)
        {
            _mode = (_mode & FileMode.TypeMask) | (mode & 0xFFF);
            _uid = uid;
            _gid = gid;
        }
    }

    public override int SetAttr(in SetAttrRequest request)
    {
        if (Fs.ReadOnly) return -Errno.EROFS;
        if ((request.Mask & SetAttrRequest.SizeBit) != 0)
        {
            int r = SetSize(request.Size);
            if (r < 0) return r;
        }
        var now = MonotonicClock.Now();
        lock (this)
        {
            if ((request.Mask & SetAttrRequest.ModeBit) != 0) _mode = (_mode & FileMode.TypeMask) | (request.Mode & 0xFFF);
            if ((request.Mask & SetAttrRequest.UidBit) != 0) _uid = request.Uid;
            if ((request.Mask & SetAttrRequest.GidBit) != 0) _gid = request.Gid;
            if ((request.Mask & SetAttrRequest.AtimeBit) != 0) ApplyTime(ref _atime, request.Atime, now);
            if ((request.Mask & SetAttrRequest.MtimeBit) != 0) ApplyTime(ref _mtime, request.Mtime, now);
            _ctime = now;
        }
        return 0;
    }

    /// <summary>truncate(2) on this inode: regular files override; directories say EISDIR.</summary>
    protected virtual int SetSize(long size) => IsDirectory ? -Errno.EISDIR : -Errno.EINVAL;

    private static void ApplyTime(ref Timespec field, in Timespec value, in Timespec now)
    {
        if (value.Nsec == SetAttrRequest.UtimeOmit) return;
        field = value.Nsec == SetAttrRequest.UtimeNow ? now : value;
    }

    /// <summary>Marks a read (atime). Caller holds the node lock.</summary>
    protected void TouchAtimeLocked(in Timespec now) => _atime = now;

    /// <summary>Marks a content change (mtime and ctime). Caller holds the node lock.</summary>
    protected internal void TouchModifiedLocked(in Timespec now)
    {
        _mtime = now;
        _ctime = now;
    }

    /// <summary>Marks a metadata change (ctime): links, renames.</summary>
    internal void TouchChanged()
    {
        var now = MonotonicClock.Now();
        lock (this) _ctime = now;
    }

    /// <summary>Marks a directory's entries as changed (mtime and ctime).</summary>
    internal void TouchModified()
    {
        var now = MonotonicClock.Now();
        lock (this) TouchModifiedLocked(now);
    }

    /// <summary>An O_TMPFILE file not yet linked, made without O_EXCL: linkat may give it a name (Linux's I_LINKABLE).</summary>
    internal bool Linkable;

    /// <summary>Whether this node holds one of the filesystem's nr_inodes (made by the guest, not pre-populated).</summary>
    internal bool CountsInode;

    /// <summary>The last link went: the node's inode returns to nr_inodes, then the node's own clean-up runs.</summary>
    internal void Unlinked()
    {
        if (CountsInode)
        {
            CountsInode = false;
            Fs.ReturnInode();
        }
        OnUnlinked();
    }

    /// <summary>Called (under the tree lock) when the last name of this inode goes away.</summary>
    internal virtual void OnUnlinked()
    {
    }
}
