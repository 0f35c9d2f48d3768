using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Memory;

/// <summary>
/// The pages behind MAP_SHARED mappings: one object per file inode (every shared mapping of the
/// file, in any address space, sees the same pages) or per MAP_SHARED|MAP_ANONYMOUS mapping
/// (inherited across fork). Pages live in the memory file, are filled from the file on first
/// touch and handed out page by page, so a shared page never depends on which 64 KiB block of a
/// guest address space it sits in. Written-to file pages go back to the file on msync, on unmap
/// and before a read() of the file; write() of the file refreshes the pages it covers.
/// </summary>
public sealed class SharedPages
{
    private const int PagesPerBlock = (int)(MemoryFile.BlockSize / MemoryFile.PageSize);

    private readonly MemoryFile _memory;
    private readonly Inode? _inode;
    private readonly Dictionary<long, long> _pages = new();
    private readonly List<long> _blocks = new();
    private int _nextInBlock = PagesPerBlock;
    private int _refs = 1;
    private FileDescription? _writer;

    /// <summary>Guards Inode.SharedPages and the reference counts of file pages.</summary>
    private static readonly object InodeLock = new();

    private SharedPages(MemoryFile memory, Inode? inode)
    {
        _memory = memory;
        _inode = inode;
    }

    /// <summary>Pages for a new shared anonymous mapping.</summary>
    public static SharedPages Anonymous(MemoryFile memory) => new(memory, null);

    /// <summary>
    /// The pages of a file's shared mappings, with a reference taken for the caller. The first
    /// writable description mapping the file is kept for writing the pages back.
    /// </summary>
    public static SharedPages ForFile(MemoryFile memory, Inode inode, FileDescription file)
    {
        lock (InodeLock)
        {
            var pages = inode.SharedPages;
            if (pages is null)
            {
                pages = new SharedPages(memory, inode);
                inode.SharedPages = pages;
            }
            else
            {
                lock (pages) pages._refs++;
            }
            if (pages._writer is null && file.Writable)
            {
                file.IncRef();
                pages._writer = file;
            }
            return pages;
        }
    }

    /// <summary>Pages materialized so far (a SysV segment's shm_rss).</summary>
    public int MaterializedPages
    {
        get { lock (this) return _pages.Count; }
    }

    public void AddRef()
    {
        lock (this) _refs++;
    }

    /// <summary>Drops a reference; the last one writes the file pages back and frees the pages.</summary>
    public void Release()
    {
        FileDescription? writer = null;
        lock (InodeLock)
        {
            lock (this)
            {
                if (--_refs > 0) return;
                WriteBackLocked(0, long.MaxValue);
                if (_inode is not null) _inode.SharedPages = null;
                FreeLocked();
                writer = _writer;
                _writer = null;
            }
        }
        writer?.DecRef();
    }

    /// <summary>
    /// The memory-file offset of page pageIndex (file offset / 4096), filled from file the first
    /// time; -1 when the memory file is full.
    /// </summary>
    public long PageOffset(long pageIndex, FileDescription? file)
    {
        lock (this)
        {
            if (_pages.TryGetValue(pageIndex, out long off)) return off;
            if (_nextInBlock == PagesPerBlock)
            {
                long block = _memory.AllocateBlock();
                if (block < 0) return -1;
                _blocks.Add(block);
                _nextInBlock = 0;
            }
            off = _blocks[^1] + (long)_nextInBlock++ * MemoryFile.PageSize;
            _pages[pageIndex] = off;
            if (file is not null && _inode is not null) Fill(file, pageIndex, off);
            return off;
        }
    }

    /// <summary>MADV_REMOVE: the materialized pages of [first, first+count) read as zeros from now on.</summary>
    public void ZeroPages(long first, long count)
    {
        lock (this)
        {
            foreach (var (index, off) in _pages)
                if (index >= first && index < first + count) _memory.Zero(off, MemoryFile.PageSize);
        }
    }

    /// <summary>msync / munmap: writes the materialized pages of [fileStart, fileEnd) back to the file (never past its end).</summary>
    public void WriteBack(long fileStart, long fileEnd)
    {
        lock (this) WriteBackLocked(fileStart, fileEnd);
    }

    /// <summary>read() of a file with shared mappings: make the file show what the mappings wrote.</summary>
    public static void BeforeFileRead(FileDescription file)
    {
        if (file.Inode?.SharedPages is { } pages)
        {
            lock (pages) pages.WriteBackLocked(0, long.MaxValue);
        }
    }

    /// <summary>write() of a file with shared mappings: the mapped pages it covered take the new contents.</summary>
    public static void AfterFileWrite(FileDescription file, long fileOffset, long length)
    {
        if (length <= 0 || file.Inode?.SharedPages is not { } pages) return;
        lock (pages)
        {
            long first = fileOffset / MemoryFile.PageSize, last = (fileOffset + length - 1) / MemoryFile.PageSize;
            if (last - first > pages._pages.Count)
            {
                foreach (var (index, off) in pages._pages)
                {
                    if (index >= first && index <= last) pages.Fill(file, index, off);
                }
                return;
            }
            for (long i = first; i <= last; i++)
            {
                if (pages._pages.TryGetValue(i, out long off)) pages.Fill(file, i, off);
            }
        }
    }

    /// <summary>
    /// A truncation of a file with shared mappings: what lies past the new end reads as zeros,
    /// also after the file grows again (Linux drops those page-cache pages). Pages stay where they
    /// are, since stubs may map them.
    /// </summary>
    public static void AfterTruncate(Inode? inode, long size)
    {
        if (inode?.SharedPages is not { } pages) return;
        lock (pages)
        {
            foreach (var (index, off) in pages._pages)
            {
                long at = index * MemoryFile.PageSize;
                if (at + MemoryFile.PageSize <= size) continue;
                long keep = Math.Max(0, size - at);
                pages._memory.Zero(off + keep, MemoryFile.PageSize - keep);
            }
        }
    }

    private void Fill(FileDescription file, long pageIndex, long off)
    {
        var span = _memory.Span(off, MemoryFile.PageSize);
        int done = 0;
        while (done < span.Length)
        {
            long n = file.Read(Kernel.Task.Current!, span[done..], pageIndex * MemoryFile.PageSize + done);
            if (n <= 0) break;
            done += (int)n;
        }
        // Past the end of the file the page reads as zeros (Linux would SIGBUS past the last page).
        span[done..].Clear();
    }

    private void WriteBackLocked(long fileStart, long fileEnd)
    {
        var file = _writer;
        if (_pages.Count == 0 || file?.Inode is null || file.Inode.GetStat(out StatBuf st) < 0) return;
        long size = Math.Min(st.Size, fileEnd);
        foreach (var (index, off) in _pages)
        {
            long at = index * MemoryFile.PageSize;
            if (at + MemoryFile.PageSize <= fileStart || at >= size) continue;
            var data = _memory.Span(off, (int)Math.Min(MemoryFile.PageSize, size - at));
            int done = 0;
            while (done < data.Length)
            {
                long n = file.WriteBack(Kernel.Task.Current!, data[done..], at + done);
                if (n <= 0) break;
                done += (int)n;
            }
        }
    }

    private void FreeLocked()
    {
        foreach (long block in _blocks) _memory.FreeBlock(block);
        _blocks.Clear();
        _pages.Clear();
        _nextInBlock = PagesPerBlock;
    }
}
