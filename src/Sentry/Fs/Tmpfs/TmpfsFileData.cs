using Csrunsc.Native;

namespace Csrunsc.Sentry.Fs.Tmpfs;

/// <summary>
/// The bytes of a tmpfs regular file: 64 KiB chunks allocated on first write (holes read as zeros;
/// a chunk is allocated only as long as it needs to be, so small files stay small). Once something
/// needs a host fd (mmap), the contents move into a memfd and all I/O goes there. Not thread-safe:
/// the owning <see cref="TmpfsRegularFile"/> locks around every call.
/// </summary>
public sealed unsafe class TmpfsFileData(TmpfsFileSystem? fs = null)
{
    /// <summary>Bytes charged to the filesystem's size= now (chunk bytes, or page-rounded size once in a memfd).</summary>
    private long _charged;

    /// <summary>Bytes held by every tmpfs file of this process (chunks and memfds): the guest's Shmem in /proc/meminfo.</summary>
    private static long s_allCharged;

    public static long AllChargedBytes => Interlocked.Read(ref s_allCharged);

    /// <summary>Moves the charge to newCharged; false (nothing changed) when the growth does not fit and force is off.</summary>
    private bool Recharge(long newCharged, bool force = false)
    {
        long delta = newCharged - _charged;
        if (delta == 0) return true;
        if (fs is not null && !fs.ChargeBytes(delta, force)) return false;
        _charged = newCharged;
        Interlocked.Add(ref s_allCharged, delta);
        return true;
    }

    private static long Pages(long bytes) => (bytes + 4095) & ~4095L;

    public const int ChunkShift = 16;
    public const int ChunkSize = 1 << ChunkShift;
    private const int MinChunk = 64;

    private byte[]?[] _chunks = [];

    /// <summary>Per chunk, which of its 16 pages hold data (written or fallocated): SEEK_DATA/SEEK_HOLE and st_blocks, page by page as tmpfs has them.</summary>
    private ushort[] _pages = [];

    private const int PageShift = 12, PagesPerChunk = ChunkSize >> PageShift;

    /// <summary>Marks the pages of [start, end) as holding data.</summary>
    private void MarkPages(long start, long end)
    {
        if (end <= start) return;
        long first = start >> PageShift, last = (end - 1) >> PageShift;
        int chunks = (int)(last / PagesPerChunk) + 1;
        if (chunks > _pages.Length) Array.Resize(ref _pages, Math.Max(chunks, Math.Min(_pages.Length * 2, Array.MaxLength)));
        for (long p = first; p <= last; p++) _pages[p / PagesPerChunk] |= (ushort)(1 << (int)(p % PagesPerChunk));
    }

    /// <summary>Clears the pages wholly inside [start, end) (a punched hole; a truncation from start).</summary>
    private void ClearPages(long start, long end)
    {
        long first = (start + 4095) >> PageShift, last = (end >> PageShift) - 1;
        for (long p = first; p <= last && p / PagesPerChunk < _pages.Length; p++)
            _pages[p / PagesPerChunk] &= (ushort)~(1 << (int)(p % PagesPerChunk));
    }

    private bool PageHasData(long page) => page / PagesPerChunk < _pages.Length && (_pages[page / PagesPerChunk] & (1 << (int)(page % PagesPerChunk))) != 0;
    private int _memfd = -1;

    public long Size { get; private set; }

    /// <summary>Bytes of memory held (for st_blocks).</summary>
    public long Allocated
    {
        get
        {
            if (_memfd >= 0) return MemFdBlocks() * 512;
            long n = 0;
            foreach (ushort m in _pages) n += System.Numerics.BitOperations.PopCount(m);
            return n << PageShift;
        }
    }

    public int MemFd => _memfd;

    /// <summary>st_blocks of the memfd once the contents live there.</summary>
    private long MemFdBlocks()
    {
        StatBuf st;
        return Libc.FStat(_memfd, &st) == 0 ? st.Blocks : (Size + 511) / 512;
    }

    public int Read(Span<byte> dst, long offset)
    {
        if (offset >= Size || dst.Length == 0) return 0;
        int n = (int)Math.Min(dst.Length, Size - offset);
        if (_memfd >= 0) return HostRead(dst[..n], offset);
        int done = 0;
        while (done < n)
        {
            long pos = offset + done;
            int ci = (int)(pos >> ChunkShift);
            int within = (int)(pos & (ChunkSize - 1));
            int len = Math.Min(n - done, ChunkSize - within);
            var chunk = ci < _chunks.Length ? _chunks[ci] : null;
            var part = dst.Slice(done, len);
            int have = chunk is null ? 0 : Math.Clamp(chunk.Length - within, 0, len);
            if (have > 0) chunk.AsSpan(within, have).CopyTo(part);
            if (have < len) part[have..].Clear();
            done += len;
        }
        return n;
    }

    /// <summary>Writes at offset, growing the file; returns bytes written or -errno.</summary>
    public int Write(ReadOnlySpan<byte> src, long offset)
    {
        if (src.Length == 0) return 0;
        if (offset < 0 || offset > long.MaxValue - src.Length) return -Errno.EFBIG;
        long end = offset + src.Length;
        if (_memfd >= 0)
        {
            if (end > Size && !Recharge(Pages(end))) return -Errno.ENOSPC;
            int w = HostWrite(src, offset);
            if (w > 0 && offset + w > Size) Size = offset + w;
            return w;
        }
        int lastChunk = (int)((end - 1) >> ChunkShift);
        if (lastChunk >= _chunks.Length)
        {
            long want = Math.Max(lastChunk + 1, Math.Min(_chunks.Length * 2L, int.MaxValue));
            if (want > Array.MaxLength) return -Errno.EFBIG;
            Array.Resize(ref _chunks, (int)want);
        }
        int done = 0;
        while (done < src.Length)
        {
            long pos = offset + done;
            int ci = (int)(pos >> ChunkShift);
            int within = (int)(pos & (ChunkSize - 1));
            int len = Math.Min(src.Length - done, ChunkSize - within);
            var chunk = _chunks[ci];
            if (chunk is null || chunk.Length < within + len)
            {
                // Grow geometrically, so appending a byte at a time stays linear; a chunk never exceeds ChunkSize.
                int size = Math.Max(within + len, Math.Max(MinChunk, (chunk?.Length ?? 0) * 2));
                if (ci < lastChunk || size > ChunkSize) size = ChunkSize;
                if (!Recharge(_charged + size - (chunk?.Length ?? 0)))
                {
                    if (done > 0 && offset + done > Size) Size = offset + done;
                    return done > 0 ? done : -Errno.ENOSPC;
                }
                var grown = new byte[size];
                chunk?.CopyTo(grown, 0);
                _chunks[ci] = chunk = grown;
            }
            src.Slice(done, len).CopyTo(chunk.AsSpan(within));
            done += len;
        }
        MarkPages(offset, end);
        if (end > Size) Size = end;
        return done;
    }

    public int Truncate(long length)
    {
        if (length < 0) return -Errno.EINVAL;
        if (_memfd >= 0)
        {
            if (Libc.FTruncate(_memfd, length) < 0) return -Libc.LastErrno;
            Size = length;
            Recharge(Pages(length), force: true);
            return 0;
        }
        if (length < Size)
        {
            int keep = (int)((length + ChunkSize - 1) >> ChunkShift);
            long freed = 0;
            for (int i = keep; i < _chunks.Length; i++)
            {
                freed += _chunks[i]?.Length ?? 0;
                _chunks[i] = null;
            }
            Recharge(_charged - freed);
            ClearPages(length, long.MaxValue & ~4095L);
            int within = (int)(length & (ChunkSize - 1));
            if (within != 0 && keep - 1 < _chunks.Length && _chunks[keep - 1] is { } last && last.Length > within)
                last.AsSpan(within).Clear();
        }
        Size = length;
        return 0;
    }

    /// <summary>
    /// shmem_fallocate: mode 0 or KEEP_SIZE marks the pages as allocated (and grows the size without
    /// KEEP_SIZE); PUNCH_HOLE|KEEP_SIZE zeroes the range and frees the pages wholly inside it. Every
    /// other mode is EOPNOTSUPP, as on Linux's tmpfs.
    /// </summary>
    public int Allocate(int mode, long offset, long length)
    {
        const int keepSize = 1, punchHole = 2;
        if ((mode & ~(keepSize | punchHole)) != 0) return -Errno.EOPNOTSUPP;
        long end = offset + length;
        if (_memfd >= 0)
        {
            if (Libc.FAllocate(_memfd, mode, offset, length) < 0) return -Libc.LastErrno;
            if ((mode & keepSize) == 0 && end > Size)
            {
                Size = end;
                Recharge(Pages(end), force: true);
            }
            return 0;
        }
        if ((mode & punchHole) == 0)
        {
            MarkPages(offset, end);
            if ((mode & keepSize) == 0 && end > Size) Size = end;
            return 0;
        }
        // Zero what lies in the range, drop chunks left without a page of data.
        long stop = Math.Min(end, (long)_chunks.Length << ChunkShift);
        for (long pos = offset; pos < stop;)
        {
            int ci = (int)(pos >> ChunkShift);
            int within = (int)(pos & (ChunkSize - 1));
            int len = (int)Math.Min(stop - pos, ChunkSize - within);
            if (_chunks[ci] is { } chunk && within < chunk.Length) chunk.AsSpan(within, Math.Min(len, chunk.Length - within)).Clear();
            pos += len;
        }
        ClearPages(offset, end);
        long freed = 0;
        for (int ci = (int)(offset >> ChunkShift); ci < _chunks.Length && ((long)ci << ChunkShift) < end; ci++)
        {
            if (_chunks[ci] is { } c && (ci >= _pages.Length || _pages[ci] == 0))
            {
                freed += c.Length;
                _chunks[ci] = null;
            }
        }
        if (freed > 0) Recharge(_charged - freed);
        return 0;
    }

    /// <summary>SEEK_DATA/SEEK_HOLE by page (mapping_seek_hole_data): the position, or -ENXIO at or past the end.</summary>
    public long FindDataOrHole(long offset, bool data)
    {
        if (offset < 0 || offset >= Size) return -Errno.ENXIO;
        if (_memfd >= 0)
        {
            long r = Libc.LSeek(_memfd, offset, data ? 3 : 4);
            return r < 0 ? -Libc.LastErrno : r;
        }
        long lastPage = (Size - 1) >> PageShift;
        for (long p = offset >> PageShift; p <= lastPage; p++)
        {
            if (PageHasData(p) == data) return Math.Max(offset, p << PageShift);
        }
        return data ? -Errno.ENXIO : Size;
    }

    /// <summary>Moves the contents into a memfd (for mmap); returns the fd or -errno.</summary>
    public int EnsureMemFd()
    {
        if (_memfd >= 0) return _memfd;
        int fd;
        fixed (byte* name = "tmpfs\0"u8) fd = Libc.MemfdCreate(name, Libc.MFD_CLOEXEC);
        if (fd < 0) return -Libc.LastErrno;
        if (Libc.FTruncate(fd, Size) < 0)
        {
            int e = Libc.LastErrno;
            Libc.Close(fd);
            return -e;
        }
        for (int ci = 0; ci < _chunks.Length; ci++)
        {
            if (_chunks[ci] is not { } chunk) continue;
            long at = (long)ci << ChunkShift;
            int len = (int)Math.Min(chunk.Length, Size - at);
            if (len <= 0) continue;
            fixed (byte* p = chunk)
            {
                int done = 0;
                while (done < len)
                {
                    nint w = Libc.PWrite(fd, p + done, len - done, at + done);
                    if (w <= 0)
                    {
                        int e = w < 0 ? Libc.LastErrno : Errno.EIO;
                        if (e == Errno.EINTR) continue;
                        Libc.Close(fd);
                        return -e;
                    }
                    done += (int)w;
                }
            }
        }
        // Pages without data stay holes there too (a chunk is written whole).
        for (long page = 0; page <= (Size - 1) >> PageShift && Size > 0; page++)
        {
            if (!PageHasData(page)) Libc.FAllocate(fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, page << PageShift, 4096);
        }
        _chunks = [];
        _pages = [];
        _memfd = fd;
        Recharge(Pages(Size), force: true);
        return fd;
    }

    /// <summary>Frees the storage (the last link and the last open description are gone).</summary>
    public void Release()
    {
        Recharge(0);
        _chunks = [];
        _pages = [];
        if (_memfd >= 0)
        {
            Libc.Close(_memfd);
            _memfd = -1;
        }
        Size = 0;
    }

    private int HostRead(Span<byte> dst, long offset)
    {
        fixed (byte* p = dst)
        {
            while (true)
            {
                nint r = Libc.PRead(_memfd, p, dst.Length, offset);
                if (r >= 0) return (int)r;
                if (Libc.LastErrno != Errno.EINTR) return -Libc.LastErrno;
            }
        }
    }

    private int HostWrite(ReadOnlySpan<byte> src, long offset)
    {
        fixed (byte* p = src)
        {
            int done = 0;
            while (done < src.Length)
            {
                nint w = Libc.PWrite(_memfd, p + done, src.Length - done, offset + done);
                if (w < 0)
                {
                    if (Libc.LastErrno == Errno.EINTR) continue;
                    return done > 0 ? done : -Libc.LastErrno;
                }
                done += (int)w;
            }
            return done;
        }
    }
}
