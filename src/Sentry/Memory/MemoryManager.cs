using System.Text;
using Csrunsc.Native;
using Csrunsc.Sentry.Platform;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Memory;

/// <summary>
/// A guest address space (mm_struct): VMAs, the memory-file blocks backing them, and which blocks
/// are mapped into the stub. Pages are materialized on first touch (by a guest fault or a
/// copy-in/out) and mapped into the stub one 64 KiB block at a time on faults. Changing a range
/// (munmap, mprotect, mmap over it) unmaps it from the stub; it faults back in with the new state.
/// </summary>
public sealed unsafe partial class MemoryManager
{
    /// <summary>
    /// A memory-file block and the address spaces holding it. Refs is changed by several address
    /// spaces under their own locks (a fork in one, a copy-on-write in another), so only atomically:
    /// a lost update once left a block shared with Refs 1, and both sides wrote it in place.
    /// Refs == 1 read under this space's lock is stable (no other space holds the block to change it).
    /// </summary>
    private sealed class Block(long offset)
    {
        public readonly long Offset = offset;
        public int Refs = 1;

        public bool Shared => Volatile.Read(ref Refs) > 1;
    }

    private readonly List<Vma> _vmas = new();
    private readonly Dictionary<ulong, Block> _blocks = new();
    private readonly HashSet<ulong> _mapped = new();

    /// <summary>Blocks mapped into the stub without write permission because another address space shares them (copy-on-write).</summary>
    private readonly HashSet<ulong> _cowMapped = new();

    /// <summary>
    /// Mapped blocks that gained a VMA piece the stub does not map yet (a new mapping in a gap of a
    /// block already mapped for its neighbours). They stay in _mapped, because the stub still maps
    /// the other pieces: fork and copy-on-write must still drop those; the next fault there maps
    /// the whole block again.
    /// </summary>
    private readonly HashSet<ulong> _incomplete = new();

    /// <summary>Bumped whenever the stub's mappings change; tells a fault raced by another thread's remap from a real violation.</summary>
    private ulong _mapGeneration;

    /// <summary>Block-aligned ranges to unmap from the stub before the guest runs again (their backing changed).</summary>
    private readonly List<ulong> _pendingUnmaps = new();
    private readonly object _lock = new();
    private int _users = 1;

    public MemoryManager(MemoryFile memoryFile, ulong minAddress, ulong maxAddress)
    {
        File = memoryFile;
        MinAddress = minAddress;
        MaxAddress = maxAddress;
        StackTop = maxAddress - 0x1000_0000;
        MmapBase = StackTop - (64UL << 20) - 0x10_0000_0000;
    }

    public MemoryFile File { get; }
    public ulong MinAddress { get; }
    public ulong MaxAddress { get; }
    public ulong StackTop { get; }
    public ulong MmapBase { get; }
    public ulong BrkStart { get; set; }
    public ulong BrkEnd { get; set; }
    public ulong ArgvStart, ArgvEnd, EnvStart, EnvEnd;
    public string ExecutablePath { get; set; } = "";
    public byte[] Auxv { get; set; } = [];

    /// <summary>Tasks using this address space (CLONE_VM shares it).</summary>
    public void AddUser() => Interlocked.Increment(ref _users);

    /// <summary>Drops a user; the last one frees every block. Returns true if it was the last.</summary>
    public bool RemoveUser()
    {
        if (Interlocked.Decrement(ref _users) != 0) return false;
        lock (_lock)
        {
            foreach (var v in _vmas) v.Release();
            _vmas.Clear();
            foreach (var b in _blocks.Values) DropBlock(b);
            _blocks.Clear();
            _mapped.Clear();
            _cowMapped.Clear();
            _incomplete.Clear();
        }
        return true;
    }

    public int Users => Volatile.Read(ref _users);

    public static ulong PageDown(ulong a) => a & ~0xFFFUL;
    public static ulong PageUp(ulong a) => (a + 0xFFF) & ~0xFFFUL;
    private static ulong BlockDown(ulong a) => a & ~(ulong)(MemoryFile.BlockSize - 1);
    private static ulong BlockUp(ulong a) => (a + (ulong)MemoryFile.BlockSize - 1) & ~(ulong)(MemoryFile.BlockSize - 1);

    // ---- VMA lookup ----

    /// <summary>Index of the VMA containing addr, or ~insertionIndex.</summary>
    private int FindIndex(ulong addr)
    {
        int lo = 0, hi = _vmas.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >> 1;
            var v = _vmas[mid];
            if (addr < v.Start) hi = mid - 1;
            else if (addr >= v.End) lo = mid + 1;
            else return mid;
        }
        return ~lo;
    }

    public Vma? Find(ulong addr)
    {
        lock (_lock)
        {
            int i = FindIndex(addr);
            return i >= 0 ? _vmas[i] : null;
        }
    }

    // ---- blocks ----

    private void DropBlock(Block b)
    {
        if (Interlocked.Decrement(ref b.Refs) == 0) File.FreeBlock(b.Offset);
    }

    /// <summary>The block backing guest block index bi, materializing it (zero, or file contents) if needed.</summary>
    private Block? GetBlock(ulong bi)
    {
        if (_blocks.TryGetValue(bi, out var b)) return b;
        long off = File.AllocateBlock();
        if (off < 0) return null;
        b = new Block(off);
        _blocks[bi] = b;
        FillFromFiles(b, bi << MemoryFile.BlockShift, (bi + 1) << MemoryFile.BlockShift);
        return b;
    }

    /// <summary>Fills the pages of [start, end) in block b that private file mappings cover.</summary>
    private void FillFromFiles(Block b, ulong start, ulong end)
    {
        ulong blockBase = BlockDown(start);
        int i = FindIndex(start);
        if (i < 0) i = ~i;
        for (; i < _vmas.Count && _vmas[i].Start < end; i++)
        {
            var v = _vmas[i];
            if (v.File is null || v.Pages is not null) continue;
            ulong s = Math.Max(v.Start, start), e = Math.Min(v.End, end);
            if (s >= e) continue;
            var span = File.Span(b.Offset + (long)(s - blockBase), (int)(e - s));
            long fileOff = v.FileOffset + (long)(s - v.Start);
            int done = 0;
            while (done < span.Length)
            {
                long n = v.File.Read(Kernel.Task.Current!, span[done..], fileOff + done);
                if (n <= 0) break;
                done += (int)n;
            }
            // Past end of file the page stays zero (Linux would SIGBUS beyond the last page).
        }
    }

    /// <summary>
    /// Gives this address space its own copy of a block shared after fork, before it diverges. The
    /// stub may still map the old copy: that mapping is dropped (now if the caller is one of our
    /// tasks, else before our next switch to the guest). When the memory file is full the block comes
    /// back still shared: callers that write must not write it then.
    /// </summary>
    private Block Unshare(ulong bi, Block b, bool remapping = false)
    {
        if (!b.Shared) return b;
        long off = File.AllocateBlock();
        if (off < 0) return b;
        File.CopyBlock(b.Offset, off);
        if (Interlocked.Decrement(ref b.Refs) == 0)
        {
            // The others let go meanwhile: the original is ours alone again, keep it (its stub
            // mapping stays valid) and drop the copy.
            Volatile.Write(ref b.Refs, 1);
            File.FreeBlock(off);
            return b;
        }
        var copy = new Block(off);
        _blocks[bi] = copy;
        if (!remapping && _mapped.Remove(bi))
        {
            _cowMapped.Remove(bi);
            _incomplete.Remove(bi);
            _mapGeneration++;
            var task = Kernel.Task.Current;
            if (task is not null && task.Mm == this && task.Context is { } ctx) ctx.Unmap(bi << MemoryFile.BlockShift, (ulong)MemoryFile.BlockSize);
            else _pendingUnmaps.Add(bi);
        }
        return copy;
    }

    /// <summary>Unlocked peek (the run loop checks it before every switch); a stale answer only delays a flush by one switch.</summary>
    public bool HasPendingUnmaps => _pendingUnmaps.Count != 0;

    /// <summary>Applies the stub unmaps other threads left for this address space.</summary>
    public void FlushPendingUnmaps(IContext ctx)
    {
        lock (_lock)
        {
            foreach (var bi in _pendingUnmaps) ctx.Unmap(bi << MemoryFile.BlockShift, (ulong)MemoryFile.BlockSize);
            _pendingUnmaps.Clear();
            _mapGeneration++;
        }
    }

    // ---- faults ----

    /// <summary>
    /// The last fault address this task (each runs on its own OS thread) found already mapped with
    /// an access error, and the map generation it saw then. Another thread may remap the block
    /// between this thread's fault and its handling, so such a fault is retried; the same fault
    /// again with no remap in between is a real violation. A remap can race every retry (a thread
    /// forking in a loop while another writes one page), hence the generation rather than a
    /// single retry; t_retries bounds the loop.
    /// </summary>
    [ThreadStatic]
    private static ulong t_retriedFault, t_retriedGeneration;

    [ThreadStatic]
    private static int t_retries;

    private const int MaxFaultRetries = 1024;

    /// <summary>Consecutive "not present" faults at one address on a block the books say is mapped (a bound, not a race window).</summary>
    [ThreadStatic]
    private static int t_remaps;

    private const int SEGV_MAPERR = 1, BUS_ADRERR = 2;

    /// <summary>
    /// The end of the pages of VMA v that lie within its file: a file page wholly past the end of
    /// the file raises SIGBUS on access (EFAULT for the Sentry's copies), as Linux; v.End for
    /// anonymous memory. The size seen last is kept in the VMA and asked again only for an address
    /// at or past it, so faults and copies below the end cost no stat. (A file truncated under a
    /// mapping keeps its old pages mapped until they fault again.)
    /// </summary>
    private static ulong FileBackedEnd(Vma v, ulong addr)
    {
        if (v.File is null) return v.End;
        ulong end = FileEndFor(v, v.KnownFileSize);
        if (addr < end) return end;
        v.KnownFileSize = v.File.Size;
        return FileEndFor(v, v.KnownFileSize);
    }

    private static ulong FileEndFor(Vma v, long size)
    {
        if (size < 0) return v.Start;
        long pagesEnd = (long)PageUp((ulong)size);
        if (pagesEnd <= v.FileOffset) return v.Start;
        ulong span = (ulong)(pagesEnd - v.FileOffset);
        return span >= v.Length ? v.End : v.Start + span;
    }

    /// <summary>
    /// Handles a guest page fault at addr through ctx. Returns 0 if the page is now mapped, or the
    /// si_code of the signal (signo) to deliver: SIGSEGV with SEGV_MAPERR = 1 or SEGV_ACCERR = 2,
    /// SIGBUS with BUS_ADRERR = 2 for a file page past the end of its file.
    /// </summary>
    public int HandleFault(IContext ctx, ulong addr, int siCode, out int signo)
    {
        signo = Libc.SIGSEGV;
        lock (_lock)
        {
            int i = FindIndex(addr);
            if (i < 0) return 1;
            var vma = _vmas[i];
            if (vma.Prot == Libc.PROT_NONE) return 2;
            if (vma.File is not null && addr >= FileBackedEnd(vma, addr))
            {
                signo = Libc.SIGBUS;
                return BUS_ADRERR;
            }
            ulong bi = addr >> MemoryFile.BlockShift;
            if (_incomplete.Remove(bi) && _blocks.TryGetValue(bi, out var partial))
            {
                // A new VMA piece of a block the stub maps for its other pieces: map it whole again.
                ForgetFaultRetry();
                return MapBlock(ctx, bi, partial) ? 0 : 1;
            }
            if (_mapped.Contains(bi) && _cowMapped.Contains(bi) && vma.Writable && _blocks.TryGetValue(bi, out var shared))
            {
                // A write to a block shared after fork: copy it (unless the others let go) and map it writable.
                var own = Unshare(bi, shared, remapping: true);
                if (own.Shared)
                {
                    // No memory left for the copy: writing in place would reach the other sharers.
                    // Linux's OOM-killed fault; the guest gets SIGBUS instead of a fault loop.
                    signo = Libc.SIGBUS;
                    return BUS_ADRERR;
                }
                _cowMapped.Remove(bi);
                return MapBlock(ctx, bi, own) ? 0 : 1;
            }
            if (_mapped.Contains(bi))
            {
                // Not present in the stub although mapped in the books: another thread unmapped
                // and remapped the block around this fault (fork, a Sentry-side copy). Map it again.
                if (siCode == SEGV_MAPERR && ++t_remaps < 64 && _blocks.TryGetValue(bi, out var present))
                    return MapBlock(ctx, bi, present) ? 0 : 1;
                t_remaps = 0;
                // Mapped with the VMA's protection already: a real violation, unless another
                // thread of this address space remapped the block since this thread last faulted here.
                if (t_retriedFault == addr && (t_retriedGeneration == _mapGeneration || ++t_retries > MaxFaultRetries))
                {
                    ForgetFaultRetry();
                    return 2;
                }
                if (t_retriedFault != addr) t_retries = 0;
                t_retriedFault = addr;
                t_retriedGeneration = _mapGeneration;
                return 0;
            }
            ForgetFaultRetry();
            t_remaps = 0;
            if (MapAhead(ctx, vma, bi)) return 0;
            var b = GetBlock(bi);
            if (b is null) return 1;
            return MapBlock(ctx, bi, b) ? 0 : 1;
        }
    }

    private static void ForgetFaultRetry()
    {
        t_retriedFault = 0;
        t_retries = 0;
    }

    /// <summary>
    /// Maps every VMA piece of block bi into the stub with its VMA's protection, minus write where the
    /// block is shared with another address space (the first write then faults: copy-on-write).
    /// </summary>
    private bool MapBlock(IContext ctx, ulong bi, Block b)
    {
        ulong bs = bi << MemoryFile.BlockShift, be = bs + (ulong)MemoryFile.BlockSize;
        bool cow = false;
        int j = FindIndex(bs);
        if (j < 0) j = ~j;
        for (; j < _vmas.Count && _vmas[j].Start < be; j++)
        {
            var v = _vmas[j];
            if (v.Prot == Libc.PROT_NONE) continue;
            ulong s = Math.Max(v.Start, bs), e = Math.Min(v.End, be);
            // File pages past the end of the file stay unmapped: touching them faults (SIGBUS).
            if (v.File is not null) e = Math.Min(e, FileBackedEnd(v, e - 1));
            if (s >= e) continue;
            int prot = v.Prot;
            if (v.Pages is null && b.Shared && (prot & Libc.PROT_WRITE) != 0)
            {
                prot &= ~Libc.PROT_WRITE;
                cow = true;
            }
            int r = v.Pages is null ? ctx.Map(s, e - s, prot, b.Offset + (long)(s - bs)) : MapSharedPages(ctx, v, s, e);
            if (r < 0) return false;
        }
        _mapped.Add(bi);
        _incomplete.Remove(bi);
        _mapGeneration++;
        if (cow) _cowMapped.Add(bi);
        else _cowMapped.Remove(bi);
        return true;
    }

    /// <summary>Blocks materialized and mapped together on a fault in fresh anonymous memory.</summary>
    private const int MapAheadBlocks = 16;

    /// <summary>
    /// A fault in untouched private anonymous memory: materializes up to 1 MiB of blocks the VMA
    /// covers whole, contiguous in the memory file, and maps them with one injected mmap. The file
    /// is sparse, so blocks never touched cost no memory; sequential touching takes one ptrace stop
    /// per MiB instead of one per 64 KiB.
    /// </summary>
    private bool MapAhead(IContext ctx, Vma vma, ulong bi)
    {
        if (vma.File is not null || vma.Shared || vma.Pages is not null) return false;
        int n = 0;
        while (n < MapAheadBlocks)
        {
            ulong k = bi + (ulong)n;
            ulong ks = k << MemoryFile.BlockShift;
            if (ks < vma.Start || ks + (ulong)MemoryFile.BlockSize > vma.End) break;
            if (_blocks.ContainsKey(k) || _mapped.Contains(k)) break;
            n++;
        }
        if (n < 2) return false;
        long off = File.AllocateRun(n);
        if (off < 0) return false;
        ulong start = bi << MemoryFile.BlockShift;
        if (ctx.Map(start, (ulong)n * (ulong)MemoryFile.BlockSize, vma.Prot, off) < 0)
        {
            for (int i = 0; i < n; i++) File.FreeBlock(off + i * MemoryFile.BlockSize);
            return false;
        }
        for (int i = 0; i < n; i++)
        {
            _blocks[bi + (ulong)i] = new Block(off + i * MemoryFile.BlockSize);
            _mapped.Add(bi + (ulong)i);
        }
        _mapGeneration++;
        return true;
    }

    /// <summary>Maps [s, e) of a shared VMA into the stub, one run of consecutive memory-file pages at a time.</summary>
    private static int MapSharedPages(IContext ctx, Vma v, ulong s, ulong e)
    {
        ulong runStart = s;
        long runOffset = -1, nextOffset = -1;
        for (ulong page = s; page <= e; page += MemoryFile.PageSize)
        {
            long off = page < e ? v.Pages!.PageOffset(v.PageIndex(page), v.File) : -2;
            if (page < e && off == -1) return -Errno.ENOMEM;
            if (off == nextOffset && page < e)
            {
                nextOffset += MemoryFile.PageSize;
                continue;
            }
            if (runOffset >= 0)
            {
                int r = ctx.Map(runStart, page - runStart, v.Prot, runOffset);
                if (r < 0) return r;
            }
            runStart = page;
            runOffset = off;
            nextOffset = off + MemoryFile.PageSize;
        }
        return 0;
    }

    /// <summary>Removes [start, end) (block-aligned outward) from the stub; it will fault back in.</summary>
    private void UnmapFromStub(IContext? ctx, ulong start, ulong end)
    {
        ulong s = BlockDown(start), e = BlockUp(end);
        bool any = false;
        foreach (ulong bi in new BlockRange(s >> MemoryFile.BlockShift, e >> MemoryFile.BlockShift, _mapped))
        {
            any |= _mapped.Remove(bi);
            _cowMapped.Remove(bi);
            _incomplete.Remove(bi);
        }
        if (!any) return;
        _mapGeneration++;
        ctx?.Unmap(s, e - s);
    }

    // ---- copy-in/out ----

    /// <summary>
    /// The contiguous piece of Sentry-mapped memory at guest addr (up to maxLen bytes, within one
    /// block), after checking the VMA allows the access. Empty span with false = EFAULT.
    /// </summary>
    public bool TryGetSpan(ulong addr, int maxLen, bool write, out Span<byte> span) => TryGetSpan(addr, maxLen, write, false, out span);

    /// <summary>
    /// Like <see cref="TryGetSpan(ulong, int, bool, out Span{byte})"/>; with force (FOLL_FORCE, as
    /// ptrace's PEEK/POKE) protections are overridden: any mapping reads, and a private mapping
    /// writes (copy-on-write, so a breakpoint in text stays in this address space). A shared
    /// mapping still needs write permission.
    /// </summary>
    public bool TryGetSpan(ulong addr, int maxLen, bool write, bool force, out Span<byte> span)
    {
        span = default;
        lock (_lock)
        {
            int i = FindIndex(addr);
            if (i < 0) return false;
            var v = _vmas[i];
            if (force ? write && !v.Writable && v.Shared : write ? !v.Writable : !v.Readable) return false;
            ulong fileEnd = FileBackedEnd(v, addr);
            if (addr >= fileEnd) return false;
            if (v.Pages is not null)
            {
                long off = v.Pages.PageOffset(v.PageIndex(addr), v.File);
                if (off < 0) return false;
                ulong pageEnd = PageDown(addr) + MemoryFile.PageSize;
                int n = (int)Math.Min((ulong)maxLen, Math.Min(pageEnd, v.End) - addr);
                span = File.Span(off + (long)(addr & 0xFFF), n);
                return true;
            }
            ulong bi = addr >> MemoryFile.BlockShift;
            var b = GetBlock(bi);
            if (b is null) return false;
            if (write && b.Shared && !v.Shared)
            {
                b = Unshare(bi, b);
                if (b.Shared) return false; // no memory for the copy: EFAULT, never a write into the sharers' page
            }
            ulong blockEnd = (bi + 1) << MemoryFile.BlockShift;
            ulong limit = Math.Min(blockEnd, fileEnd);
            int len = (int)Math.Min((ulong)maxLen, limit - addr);
            span = File.Span(b.Offset + (long)(addr - (bi << MemoryFile.BlockShift)), len);
            return true;
        }
    }

    public int CopyIn(ulong addr, Span<byte> dst)
    {
        int done = 0;
        while (done < dst.Length)
        {
            if (!TryGetSpan(addr + (ulong)done, dst.Length - done, false, out var src)) return -Errno.EFAULT;
            src.CopyTo(dst[done..]);
            done += src.Length;
        }
        return 0;
    }

    public int CopyOut(ulong addr, ReadOnlySpan<byte> src)
    {
        int done = 0;
        while (done < src.Length)
        {
            if (!TryGetSpan(addr + (ulong)done, src.Length - done, true, out var dst)) return -Errno.EFAULT;
            src.Slice(done, dst.Length).CopyTo(dst);
            done += dst.Length;
        }
        return 0;
    }

    /// <summary>CopyIn with FOLL_FORCE (ptrace PEEK): 0 or -EFAULT.</summary>
    public int CopyInForce(ulong addr, Span<byte> dst)
    {
        int done = 0;
        while (done < dst.Length)
        {
            if (!TryGetSpan(addr + (ulong)done, dst.Length - done, false, true, out var src)) return -Errno.EFAULT;
            src.CopyTo(dst[done..]);
            done += src.Length;
        }
        return 0;
    }

    /// <summary>CopyOut with FOLL_FORCE (ptrace POKE): 0 or -EFAULT.</summary>
    public int CopyOutForce(ulong addr, ReadOnlySpan<byte> src)
    {
        int done = 0;
        while (done < src.Length)
        {
            if (!TryGetSpan(addr + (ulong)done, src.Length - done, true, true, out var dst)) return -Errno.EFAULT;
            src.Slice(done, dst.Length).CopyTo(dst);
            done += dst.Length;
        }
        return 0;
    }

    /// <summary>Zeroes guest memory (e.g. the tail of a partially-filled page); 0 or -EFAULT.</summary>
    public int Clear(ulong addr, ulong length)
    {
        ulong done = 0;
        while (done < length)
        {
            if (!TryGetSpan(addr + done, (int)Math.Min(length - done, int.MaxValue), true, out var dst)) return -Errno.EFAULT;
            dst.Clear();
            done += (ulong)dst.Length;
        }
        return 0;
    }

    public int CopyInString(ulong addr, int max, out string value)
    {
        value = "";
        Span<byte> buf = max <= 4096 ? stackalloc byte[max] : new byte[max];
        int len = 0;
        while (len < max)
        {
            if (!TryGetSpan(addr + (ulong)len, max - len, false, out var src)) return -Errno.EFAULT;
            int z = src.IndexOf((byte)0);
            if (z >= 0)
            {
                src[..z].CopyTo(buf[len..]);
                len += z;
                value = Encoding.UTF8.GetString(buf[..len]);
                return 0;
            }
            src.CopyTo(buf[len..]);
            len += src.Length;
        }
        return -Errno.ENAMETOOLONG;
    }
}
