using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using FileMode = Csrunsc.Sentry.Vfs.FileMode;

namespace Csrunsc.Sentry.Fs.Tmpfs;

/// <summary>A tmpfs regular file. Its data lives in <see cref="TmpfsFileData"/>, guarded by this node's lock.</summary>
public sealed class TmpfsRegularFile(TmpfsFileSystem fs, uint permissions, uint uid, uint gid)
    : TmpfsNode(fs, FileMode.Regular | (permissions & 0xFFF), uid, gid)
{
    private readonly TmpfsFileData _data = new(fs);
    private int _openCount;

    public const int F_SEAL_SEAL = 1, F_SEAL_SHRINK = 2, F_SEAL_GROW = 4, F_SEAL_WRITE = 8, F_SEAL_FUTURE_WRITE = 16;
    private const int KnownSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;

    /// <summary>memfd seals (F_ADD_SEALS): every tmpfs file starts sealed against sealing, as Linux's shmem files; memfd_create(MFD_ALLOW_SEALING) clears it.</summary>
    private int _seals = F_SEAL_SEAL;

    /// <summary>The name given to memfd_create (/proc/self/fd shows "/memfd:NAME (deleted)"); null for files with a name in a tmpfs.</summary>
    public string? MemfdName { get; init; }

    /// <summary>Makes an unlinked file for memfd_create.</summary>
    public static TmpfsRegularFile Memfd(TmpfsFileSystem fs, string name, bool allowSealing, uint uid, uint gid) =>
        new(fs, 0x1FF /*0777*/, uid, gid) { MemfdName = name, _seals = allowSealing ? 0 : F_SEAL_SEAL };

    public int Seals
    {
        get { lock (this) return _seals; }
    }

    /// <summary>F_ADD_SEALS (memfd_add_seals): EPERM once F_SEAL_SEAL is set; F_SEAL_WRITE needs no shared mapping.</summary>
    public int AddSeals(int seals)
    {
        if ((seals & ~KnownSeals) != 0) return -Errno.EINVAL;
        lock (this)
        {
            if ((_seals & F_SEAL_SEAL) != 0) return -Errno.EPERM;
            // Linux refuses while writable shared mappings exist; shared mappings are not told apart by protection here, so any one counts.
            if ((seals & F_SEAL_WRITE) != 0 && (_seals & F_SEAL_WRITE) == 0 && SharedPages is not null) return -Errno.EBUSY;
            _seals |= seals;
            return 0;
        }
    }

    /// <summary>Whether a new writable shared mapping is refused (F_SEAL_WRITE or F_SEAL_FUTURE_WRITE).</summary>
    public bool WriteSealed => (Seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) != 0;

    protected override long StatSize => _data.Size;

    protected override long StatBlocks => (_data.Allocated + 511) / 512;

    public long Size
    {
        get { lock (this) return _data.Size; }
    }

    public override int Open(int flags, out FileDescription? file)
    {
        file = null;
        if ((flags & Libc.O_PATH) != 0)
        {
            file = new PathFileDescription(this, flags);
            return 0;
        }
        bool write = (flags & Libc.O_ACCMODE) != Libc.O_RDONLY;
        if (write && Fs.ReadOnly) return -Errno.EROFS;
        if (write && (flags & Libc.O_TRUNC) != 0)
        {
            int r = SetSize(0);
            if (r < 0) return r;
        }
        Interlocked.Increment(ref _openCount);
        file = new TmpfsFileDescription(this, flags);
        return 0;
    }

    public int ReadAt(Span<byte> dst, long offset)
    {
        if (offset < 0) return -Errno.EINVAL;
        var now = MonotonicClock.Now();
        lock (this)
        {
            int n = _data.Read(dst, offset);
            TouchAtimeLocked(now);
            return n;
        }
    }

    /// <summary>Writes at offset, or at the end when append; reports where the write landed.</summary>
    public int WriteAt(ReadOnlySpan<byte> src, long offset, bool append, out long at, bool writeBack = false)
    {
        var now = MonotonicClock.Now();
        lock (this)
        {
            at = append ? _data.Size : offset;
            if (at < 0) return -Errno.EINVAL;
            // A mapping's write-back is the page cache's: seals only stop write() and new mappings.
            if (_seals != 0 && src.Length > 0 && !writeBack)
            {
                if ((_seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) != 0) return -Errno.EPERM;
                if ((_seals & F_SEAL_GROW) != 0 && at + src.Length > _data.Size)
                {
                    // shmem_write_begin refuses page by page: what lies in whole pages below the size is written.
                    long allowed = (_data.Size & ~4095L) - at;
                    if (allowed <= 0) return -Errno.EPERM;
                    src = src[..(int)Math.Min(allowed, src.Length)];
                }
            }
            int n = _data.Write(src, at);
            if (n > 0) TouchModifiedLocked(now);
            return n;
        }
    }

    protected override int SetSize(long size)
    {
        if (size < 0) return -Errno.EINVAL;
        var now = MonotonicClock.Now();
        lock (this)
        {
            if ((size < _data.Size && (_seals & F_SEAL_SHRINK) != 0) || (size > _data.Size && (_seals & F_SEAL_GROW) != 0)) return -Errno.EPERM;
            int r = _data.Truncate(size);
            if (r == 0) TouchModifiedLocked(now);
            return r;
        }
    }

    public int Truncate(long size) => SetSize(size);

    /// <summary>fallocate on tmpfs (shmem_fallocate): seals first (punching needs no write seal, growing no grow seal).</summary>
    public int Allocate(int mode, long offset, long length)
    {
        var now = MonotonicClock.Now();
        lock (this)
        {
            if ((mode & ~3) == 0)
            {
                if ((mode & 2) != 0 && (_seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) != 0) return -Errno.EPERM;
                if ((mode & 2) == 0 && (_seals & F_SEAL_GROW) != 0 && offset + length > _data.Size) return -Errno.EPERM;
            }
            int r = _data.Allocate(mode, offset, length);
            if (r == 0) TouchModifiedLocked(now);
            return r;
        }
    }

    public long FindDataOrHole(long offset, bool data)
    {
        lock (this) return _data.FindDataOrHole(offset, data);
    }

    /// <summary>A host fd holding the contents (moving them into a memfd on first use), or -errno.</summary>
    public int HostFd()
    {
        lock (this) return _data.EnsureMemFd();
    }

    /// <summary>Replaces the contents (pre-population).</summary>
    public void SetContents(ReadOnlySpan<byte> content)
    {
        lock (this)
        {
            _data.Truncate(0);
            _data.Write(content, 0);
        }
    }

    internal void CloseOne()
    {
        if (Interlocked.Decrement(ref _openCount) == 0) MaybeRelease();
    }

    internal override void OnUnlinked() => MaybeRelease();

    private void MaybeRelease()
    {
        lock (this)
        {
            if (Nlink == 0 && Volatile.Read(ref _openCount) == 0)
            {
                _data.Release();
                // An O_TMPFILE file never linked holds its inode until its last close.
                if (CountsInode)
                {
                    CountsInode = false;
                    Fs.ReturnInode();
                }
            }
        }
    }
}
