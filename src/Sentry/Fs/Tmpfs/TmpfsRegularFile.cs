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
    public int WriteAt(ReadOnlySpan<byte> src, long offset, bool append, out long at)
    {
        var now = MonotonicClock.Now();
        lock (this)
        {
            at = append ? _data.Size : offset;
            if (at < 0) return -Errno.EINVAL;
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
            int r = _data.Truncate(size);
            if (r == 0) TouchModifiedLocked(now);
            return r;
        }
    }

    public int Truncate(long size) => SetSize(size);

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
            if (Nlink == 0 && Volatile.Read(ref _openCount) == 0) _data.Release();
        }
    }
}
