using System.Globalization;
using System.Text;
using Csrunsc.Native;
using Csrunsc.Sentry.Platform;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Memory;

/// <summary>mmap, munmap, mprotect, brk, mremap and fork of an address space.</summary>
public sealed unsafe partial class MemoryManager
{
    /// <summary>
    /// Creates a mapping. addr is a hint unless fixed. file (with IncRef taken by this call) backs a
    /// file mapping. A shared mapping uses pages (a reference is taken), or the file's shared pages,
    /// or new anonymous shared pages. Returns the address or -errno.
    /// </summary>
    public long Map(IContext? ctx, ulong addr, ulong length, int prot, bool fixedAddr, bool noReplace, bool shared,
        FileDescription? file, long fileOffset, string name, SharedPages? pages = null, IVmaOps? ops = null, bool mayWrite = true,
        bool low32 = false)
    {
        if (length == 0) return -Errno.EINVAL;
        length = PageUp(length);
        if (length == 0 || length > MaxAddress) return -Errno.ENOMEM;
        lock (_lock)
        {
            if (fixedAddr)
            {
                if ((addr & 0xFFF) != 0) return -Errno.EINVAL;
                if (addr < MinAddress || addr + length > MaxAddress || addr + length < addr) return -Errno.ENOMEM;
                if (noReplace && Overlaps(addr, addr + length)) return -Errno.EEXIST;
                RemoveRange(ctx, addr, addr + length);
            }
            else
            {
                // A hint is used only if [hint, hint+length) is free and below the top (no wrap-around);
                // else Linux picks another address, as here.
                ulong hint = PageDown(addr);
                if (hint < MinAddress || hint > MaxAddress || length > MaxAddress - hint || Overlaps(hint, hint + length))
                    hint = low32 ? FindGapBottomUp(length, Map32BitLow, Map32BitHigh) : FindGap(length);
                if (hint == 0) return -Errno.ENOMEM;
                addr = hint;
            }
            file?.IncRef();
            if (shared)
            {
                if (pages is not null) pages.AddRef();
                else if (file?.Inode is not null) pages = SharedPages.ForFile(File, file.Inode, file);
                else pages = SharedPages.Anonymous(File);
            }
            else
            {
                pages = null;
            }
            var vma = new Vma
            {
                Start = addr, End = addr + length, Prot = prot, Shared = shared, File = file, FileOffset = fileOffset, Name = name,
                Pages = pages, Ops = ops, MayWrite = mayWrite,
            };
            ops?.Open();
            Insert(vma);
            PrepareExistingBlocks(vma, vma.Start, vma.End);
            ForgetMapped(vma.Start, vma.End);
            return (long)addr;
        }
    }

    /// <summary>A new mapping (or [start, end) of one) over blocks that already exist: give them fresh contents.</summary>
    private void PrepareExistingBlocks(Vma vma, ulong start, ulong end)
    {
        foreach (ulong bi in new BlockRange(start >> MemoryFile.BlockShift, BlockUp(end) >> MemoryFile.BlockShift, _blocks.Keys))
        {
            if (!_blocks.TryGetValue(bi, out var b)) continue;
            b = Unshare(bi, b);
            // No memory for a private copy: the old contents stay rather than zeroing the sharers' page.
            if (b.Shared) continue;
            ulong bs = bi << MemoryFile.BlockShift;
            ulong s = Math.Max(start, bs), e = Math.Min(end, bs + (ulong)MemoryFile.BlockSize);
            File.Zero(b.Offset + (long)(s - bs), (long)(e - s));
            if (vma.File is not null) FillFromFiles(b, s, e);
        }
    }

    /// <summary>
    /// A block already mapped into the stub for its other VMAs lacks the new range: mark it
    /// incomplete so the next fault there maps the block again, new range included. It stays
    /// mapped in the books: the stub still maps its other pieces (fork must still drop them).
    /// </summary>
    private void ForgetMapped(ulong start, ulong end)
    {
        foreach (ulong bi in new BlockRange(start >> MemoryFile.BlockShift, BlockUp(end) >> MemoryFile.BlockShift, _mapped))
            _incomplete.Add(bi);
    }

    private bool Overlaps(ulong start, ulong end)
    {
        int i = FindIndex(start);
        if (i >= 0) return true;
        i = ~i;
        return i < _vmas.Count && _vmas[i].Start < end;
    }

    private void Insert(Vma vma)
    {
        int i = FindIndex(vma.Start);
        _vmas.Insert(i < 0 ? ~i : i, vma);
    }

    /// <summary>x86-64's MAP_32BIT range: the second GiB (code and data a 32-bit jump or pointer can reach).</summary>
    public const ulong Map32BitLow = 0x4000_0000, Map32BitHigh = 0x8000_0000;

    /// <summary>Bottom-up search for a free range of length inside [low, high) (MAP_32BIT); 0 if none.</summary>
    private ulong FindGapBottomUp(ulong length, ulong low, ulong high)
    {
        ulong at = Math.Max(low, MinAddress);
        int i = FindIndex(at);
        if (i >= 0) at = _vmas[i++].End;
        else i = ~i;
        for (; ; i++)
        {
            ulong next = i < _vmas.Count ? _vmas[i].Start : ulong.MaxValue;
            if (at > high || length > high - at) return 0;
            if (next >= at + length) return at;
            at = Math.Max(at, _vmas[i].End);
        }
    }

    /// <summary>Top-down search for a free range of length below the mmap base.</summary>
    private ulong FindGap(ulong length)
    {
        ulong top = MmapBase;
        for (int i = _vmas.Count - 1; i >= -1; i--)
        {
            ulong floor = i >= 0 ? _vmas[i].End : MinAddress;
            if (i >= 0 && _vmas[i].Start >= top) continue;
            if (top >= floor + length) return top - length;
            if (i >= 0) top = Math.Min(top, _vmas[i].Start);
        }
        // Nothing below the base: look above it (between the base and the stack).
        ulong above = MmapBase;
        foreach (var v in _vmas)
        {
            if (v.End <= above) continue;
            if (v.Start >= above + length) return above;
            above = Math.Max(above, v.End);
        }
        return above + length <= MaxAddress ? above : 0;
    }

    /// <summary>Removes [start, end) from the VMA list, frees the pages, and unmaps it from the stub.</summary>
    private void RemoveRange(IContext? ctx, ulong start, ulong end)
    {
        bool changed = false;
        int i = FindIndex(start);
        if (i < 0) i = ~i;
        while (i < _vmas.Count && _vmas[i].Start < end)
        {
            var v = _vmas[i];
            changed = true;
            _vmas.RemoveAt(i);
            if (v.Start < start)
            {
                _vmas.Insert(i++, v.Slice(v.Start, start));
            }
            if (v.End > end)
            {
                _vmas.Insert(i++, v.Slice(end, v.End));
            }
            v.Release();
        }
        if (!changed) return;
        ReleasePages(start, end);
        UnmapFromStub(ctx, start, end);
    }

    /// <summary>Frees blocks no VMA covers any more; zeroes uncovered pages of the others.</summary>
    private void ReleasePages(ulong start, ulong end)
    {
        foreach (ulong bi in new BlockRange(start >> MemoryFile.BlockShift, BlockUp(end) >> MemoryFile.BlockShift, _blocks.Keys))
        {
            if (!_blocks.TryGetValue(bi, out var b)) continue;
            ulong bs = bi << MemoryFile.BlockShift, be = bs + (ulong)MemoryFile.BlockSize;
            if (!Overlaps(bs, be))
            {
                _blocks.Remove(bi);
                DropBlock(b);
                continue;
            }
            if (b.Shared) continue;
            ulong s = Math.Max(start, bs), e = Math.Min(end, be);
            File.Zero(b.Offset + (long)(s - bs), (long)(e - s));
        }
    }

    public int Unmap(IContext? ctx, ulong addr, ulong length)
    {
        if ((addr & 0xFFF) != 0 || length == 0) return -Errno.EINVAL;
        ulong end = addr + PageUp(length);
        if (end < addr || end > MaxAddress) return -Errno.EINVAL;
        lock (_lock) RemoveRange(ctx, addr, end);
        return 0;
    }

    /// <summary>
    /// shmdt(2): finds the first VMA at or above addr that is an attachment begun at addr (its
    /// offset equals its distance from addr), and unmaps every piece of that attachment within
    /// its size from addr, as Linux does. -EINVAL when there is none.
    /// </summary>
    public int Detach(IContext? ctx, ulong addr)
    {
        if ((addr & 0xFFF) != 0) return -Errno.EINVAL;
        lock (_lock)
        {
            int i = FindIndex(addr);
            if (i < 0) i = ~i;
            IVmaOps? ops = null;
            for (; i < _vmas.Count; i++)
            {
                var v = _vmas[i];
                if (v.Ops is not null && (long)(v.Start - addr) == v.FileOffset)
                {
                    ops = v.Ops;
                    break;
                }
            }
            if (ops is null) return -Errno.EINVAL;
            ulong size = PageUp(ops.AttachSize), end = addr + size < addr ? ulong.MaxValue : addr + size;
            for (; i < _vmas.Count && _vmas[i].End <= end;)
            {
                var v = _vmas[i];
                if (ReferenceEquals(v.Ops, ops) && (long)(v.Start - addr) == v.FileOffset)
                {
                    RemoveRange(ctx, v.Start, v.End);
                    i = FindIndex(v.Start);
                    if (i < 0) i = ~i;
                    continue;
                }
                i++;
            }
        }
        return 0;
    }

    /// <summary>msync(2): writes shared file pages of [addr, addr+length) back to their files; -ENOMEM if a page is unmapped.</summary>
    public int Sync(ulong addr, ulong length)
    {
        if ((addr & 0xFFF) != 0) return -Errno.EINVAL;
        ulong end = addr + PageUp(length);
        if (end < addr) return -Errno.ENOMEM;
        var work = new List<(SharedPages Pages, long Start, long End)>();
        lock (_lock)
        {
            ulong cur = addr;
            int i = FindIndex(addr);
            if (i < 0 && length != 0) return -Errno.ENOMEM;
            for (int j = i < 0 ? ~i : i; cur < end; j++)
            {
                if (j >= _vmas.Count || _vmas[j].Start > cur) return -Errno.ENOMEM;
                var v = _vmas[j];
                if (v.Pages is not null && v.File is not null)
                {
                    ulong s = Math.Max(cur, v.Start), e = Math.Min(end, v.End);
                    work.Add((v.Pages, v.FileOffset + (long)(s - v.Start), v.FileOffset + (long)(e - v.Start)));
                }
                cur = v.End;
            }
        }
        foreach (var (pages, start, stop) in work) pages.WriteBack(start, stop);
        return 0;
    }

    public int Protect(IContext? ctx, ulong addr, ulong length, int prot)
    {
        if ((addr & 0xFFF) != 0) return -Errno.EINVAL;
        if (length == 0) return 0;
        ulong end = addr + PageUp(length);
        if (end <= addr) return -Errno.ENOMEM;
        lock (_lock)
        {
            // Every page must be mapped.
            ulong cur = addr;
            int i = FindIndex(addr);
            if (i < 0) return -Errno.ENOMEM;
            for (int j = i; cur < end; j++)
            {
                if (j >= _vmas.Count || _vmas[j].Start > cur) return -Errno.ENOMEM;
                if ((prot & Libc.PROT_WRITE) != 0 && !_vmas[j].MayWrite) return -Errno.EACCES;
                if ((prot & Libc.PROT_EXEC) != 0 && _vmas[j].File?.Location?.Mount.NoExec == true) return -Errno.EACCES;
                cur = _vmas[j].End;
            }
            SplitAt(addr);
            SplitAt(end);
            i = FindIndex(addr);
            for (; i < _vmas.Count && _vmas[i].Start < end; i++) _vmas[i].Prot = prot;
            UnmapFromStub(ctx, addr, end);
            return 0;
        }
    }

    /// <summary>mbind: sets the policy of every VMA in [start, end) (split at the ends); -EFAULT where a page is unmapped.</summary>
    public int SetNumaPolicy(ulong start, ulong end, int policy, ulong nodes)
    {
        lock (_lock)
        {
            ulong cur = start;
            int i = FindIndex(start);
            if (i < 0) return -Errno.EFAULT;
            for (int j = i; cur < end; j++)
            {
                if (j >= _vmas.Count || _vmas[j].Start > cur) return -Errno.EFAULT;
                cur = _vmas[j].End;
            }
            SplitAt(start);
            SplitAt(end);
            for (i = FindIndex(start); i < _vmas.Count && _vmas[i].Start < end; i++)
            {
                _vmas[i].NumaPolicy = policy;
                _vmas[i].NumaNodes = nodes;
            }
            return 0;
        }
    }

    /// <summary>get_mempolicy(MPOL_F_ADDR): the policy of the VMA holding addr (0 and no nodes: none); false when unmapped.</summary>
    public bool NumaPolicy(ulong addr, out int policy, out ulong nodes)
    {
        lock (_lock)
        {
            int i = FindIndex(addr);
            policy = i >= 0 ? _vmas[i].NumaPolicy : 0;
            nodes = i >= 0 ? _vmas[i].NumaNodes : 0;
            return i >= 0;
        }
    }

    /// <summary>mlockall(MCL_FUTURE): mappings made from now on are locked (mm->def_flags' VM_LOCKED).</summary>
    public bool LockFuture { get; set; }

    /// <summary>locked_vm in bytes: the VMAs marked locked.</summary>
    public ulong LockedBytes
    {
        get
        {
            lock (_lock)
            {
                ulong n = 0;
                foreach (var v in _vmas)
                    if (v.Locked) n += v.Length;
                return n;
            }
        }
    }

    /// <summary>The locked bytes inside [start, end) (count_mm_mlocked_page_nr).</summary>
    public ulong LockedBytesIn(ulong start, ulong end)
    {
        lock (_lock)
        {
            ulong n = 0;
            foreach (var v in _vmas)
                if (v.Locked && v.End > start && v.Start < end) n += Math.Min(v.End, end) - Math.Max(v.Start, start);
            return n;
        }
    }

    /// <summary>mlock/munlock's apply_vma_lock_flags on [start, end), page-aligned: -ENOMEM where a page is unmapped.</summary>
    public int SetLocked(ulong start, ulong end, bool locked)
    {
        lock (_lock)
        {
            ulong cur = start;
            int i = FindIndex(start);
            if (i < 0) return -Errno.ENOMEM;
            for (int j = i; cur < end; j++)
            {
                if (j >= _vmas.Count || _vmas[j].Start > cur) return -Errno.ENOMEM;
                cur = _vmas[j].End;
            }
            SplitAt(start);
            SplitAt(end);
            for (i = FindIndex(start); i < _vmas.Count && _vmas[i].Start < end; i++) _vmas[i].Locked = locked;
            return 0;
        }
    }

    /// <summary>Whether a PROT_NONE mapping lies in [start, end).</summary>
    public bool HasProtNoneIn(ulong start, ulong end)
    {
        lock (_lock)
        {
            foreach (var v in _vmas)
                if (v.Prot == Libc.PROT_NONE && v.End > start && v.Start < end) return true;
            return false;
        }
    }

    /// <summary>mlockall(MCL_CURRENT) / munlockall: every VMA locked or unlocked.</summary>
    public void SetAllLocked(bool locked)
    {
        lock (_lock)
        {
            foreach (var v in _vmas) v.Locked = locked;
        }
    }

    /// <summary>Linux's stack_guard_gap: a growing stack keeps this far from the mapping below it.</summary>
    public const ulong StackGuardGap = 256 * 4096;

    /// <summary>Marks the VMA starting at addr as the grow-down stack.</summary>
    public void MarkGrowsDown(ulong addr)
    {
        lock (_lock)
        {
            int i = FindIndex(addr);
            if (i >= 0) _vmas[i].GrowsDown = true;
        }
    }

    /// <summary>
    /// expand_stack for a fault at an unmapped addr: the grow-down VMA just above it is extended
    /// down to addr's page when its new size stays within limit (RLIMIT_STACK's soft limit) and
    /// the guard gap to the mapping below holds. True when it grew (the fault can be retried).
    /// </summary>
    public bool TryGrowStack(ulong addr, ulong limit)
    {
        lock (_lock)
        {
            int i = FindIndex(addr);
            if (i >= 0) return false;
            i = ~i;
            if (i >= _vmas.Count || !_vmas[i].GrowsDown) return false;
            var v = _vmas[i];
            ulong start = PageDown(addr);
            if (v.End - start > limit) return false;
            if (i > 0 && (start < StackGuardGap || _vmas[i - 1].End > start - StackGuardGap)) return false;
            if (start < MinAddress) return false;
            ulong old = v.Start;
            v.Start = start;
            v.FileOffset -= (long)(old - start);
            PrepareExistingBlocks(v, start, old);
            ForgetMapped(start, old);
            return true;
        }
    }

    private void SplitAt(ulong addr)
    {
        int i = FindIndex(addr);
        if (i < 0) return;
        var v = _vmas[i];
        if (v.Start == addr) return;
        _vmas[i] = v.Slice(v.Start, addr);
        _vmas.Insert(i + 1, v.Slice(addr, v.End));
        v.Release();
    }

    /// <summary>brk(2): returns the new (or unchanged) program break.</summary>
    public ulong Brk(IContext? ctx, ulong addr)
    {
        if (addr < BrkStart || addr > BrkStart + (1UL << 36)) return BrkEnd;
        ulong oldTop = PageUp(BrkEnd), newTop = PageUp(addr);
        if (newTop > oldTop)
        {
            lock (_lock)
            {
                if (Overlaps(oldTop, newTop)) return BrkEnd;
            }
            long r = Map(ctx, oldTop, newTop - oldTop, Libc.PROT_READ | Libc.PROT_WRITE, true, false, false, null, 0, "[heap]");
            if (r < 0) return BrkEnd;
            lock (_lock) MergeHeap();
        }
        else if (newTop < oldTop)
        {
            Unmap(ctx, newTop, oldTop - newTop);
        }
        BrkEnd = addr;
        return BrkEnd;
    }

    /// <summary>Keeps the heap as one VMA as it grows page by page.</summary>
    private void MergeHeap()
    {
        for (int i = 1; i < _vmas.Count; i++)
        {
            var a = _vmas[i - 1];
            var b = _vmas[i];
            if (a.End == b.Start && a.Name == "[heap]" && b.Name == "[heap]" && a.Prot == b.Prot && a.NumaPolicy == b.NumaPolicy && a.NumaNodes == b.NumaNodes && a.File is null && b.File is null && !a.Shared && !b.Shared)
            {
                a.End = b.End;
                _vmas.RemoveAt(i--);
            }
        }
    }

    public const int MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2;

    /// <summary>mremap(2): grow in place, or move (private pages by copying, shared ones by mapping the same pages).</summary>
    public long Remap(IContext? ctx, ulong oldAddr, ulong oldLength, ulong newLength, int flags, ulong newAddr)
    {
        if ((oldAddr & 0xFFF) != 0 || newLength == 0) return -Errno.EINVAL;
        oldLength = PageUp(oldLength);
        newLength = PageUp(newLength);
        if (newLength == 0) return -Errno.EINVAL; // rounded past 2^64, as Linux's PAGE_ALIGN check
        Vma? vma;
        lock (_lock)
        {
            int i = FindIndex(oldAddr);
            if (i < 0) return -Errno.EFAULT;
            vma = _vmas[i];
            if (oldLength > vma.End - oldAddr) return -Errno.EFAULT;
        }
        if ((flags & MREMAP_FIXED) == 0)
        {
            if (newLength <= oldLength)
            {
                if (newLength < oldLength) Unmap(ctx, oldAddr + newLength, oldLength - newLength);
                return (long)oldAddr;
            }
            lock (_lock)
            {
                if (oldAddr + oldLength == vma.End && newLength <= MaxAddress - oldAddr && !Overlaps(vma.End, oldAddr + newLength))
                {
                    ForgetMapped(vma.End, oldAddr + newLength);
                    vma.End = oldAddr + newLength;
                    return (long)oldAddr;
                }
            }
            if ((flags & MREMAP_MAYMOVE) == 0) return -Errno.ENOMEM;
        }
        long dst = Map(ctx, newAddr, newLength, vma.Prot, (flags & MREMAP_FIXED) != 0, false, vma.Shared, vma.File,
            vma.FileOffset + (long)(oldAddr - vma.Start), vma.Name, vma.Pages, vma.Ops, vma.MayWrite);
        if (dst < 0) return dst;
        if (vma.Pages is not null)
        {
            // Shared pages are indexed by file page: the new range already shows them.
            Unmap(ctx, oldAddr, oldLength);
            return dst;
        }
        ulong copy = Math.Min(oldLength, newLength);
        int prot = vma.Prot;
        // Copy through the Sentry's view, regardless of the guest's protection; only blocks that
        // exist (never-touched pages read as zeros or come from the file at the new place too).
        ulong srcEnd = oldAddr + copy;
        lock (_lock)
        {
            foreach (ulong bi in new BlockRange(oldAddr >> MemoryFile.BlockShift, BlockUp(srcEnd) >> MemoryFile.BlockShift, _blocks.Keys))
            {
                if (!_blocks.ContainsKey(bi)) continue;
                ulong from = Math.Max(oldAddr, bi << MemoryFile.BlockShift);
                ulong to = Math.Min(srcEnd, (bi + 1) << MemoryFile.BlockShift);
                for (ulong at = from; at < to; at += 4096)
                {
                    ulong done = at - oldAddr;
                    var src = GetBlock(at >> MemoryFile.BlockShift);
                    var dblk = GetBlock(((ulong)dst + done) >> MemoryFile.BlockShift);
                    if (src is null || dblk is null) return -Errno.ENOMEM;
                    long so = src.Offset + (long)(at & (ulong)(MemoryFile.BlockSize - 1));
                    long d = dblk.Offset + (long)(((ulong)dst + done) & (ulong)(MemoryFile.BlockSize - 1));
                    Buffer.MemoryCopy(File.Base + so, File.Base + d, 4096, 4096);
                }
            }
        }
        Unmap(ctx, oldAddr, oldLength);
        return dst;
    }

    /// <summary>
    /// fork: a new address space with the same VMAs, sharing every block copy-on-write. The parent's
    /// stub loses its writable mappings of them (parentCtx injects the unmaps); both sides copy a
    /// block only when they first write to it.
    /// </summary>
    public MemoryManager Fork(IContext? parentCtx)
    {
        var child = new MemoryManager(File, MinAddress, MaxAddress)
        {
            BrkStart = BrkStart, BrkEnd = BrkEnd, ExecutablePath = ExecutablePath, Auxv = Auxv,
            ArgvStart = ArgvStart, ArgvEnd = ArgvEnd, EnvStart = EnvStart, EnvEnd = EnvEnd,
        };
        lock (_lock)
        {
            foreach (var v in _vmas)
            {
                if (v.DontFork) continue;
                // dup_mmap: the child inherits no memory locks (VM_LOCKED cleared, no MCL_FUTURE).
                var c = v.Slice(v.Start, v.End);
                c.Locked = false;
                child._vmas.Add(c);
            }
            var protect = new List<ulong>();
            foreach (var (bi, b) in _blocks)
            {
                // A block no copied VMA reaches (MADV_DONTFORK, MADV_WIPEONFORK) is not shared at all.
                if (!child.ReachesInherited(bi)) continue;
                Interlocked.Increment(ref b.Refs);
                child._blocks[bi] = b;
                // Only blocks the stub may write need their mapping dropped (text and read-only data stay).
                if (_mapped.Contains(bi) && !_cowMapped.Contains(bi) && HasWritablePrivatePiece(bi)) protect.Add(bi);
            }
            // Unmap the parent's writable mappings of now-shared blocks, one injection per run.
            if (protect.Count != 0) _mapGeneration++;
            protect.Sort();
            for (int i = 0; i < protect.Count;)
            {
                int j = i + 1;
                while (j < protect.Count && protect[j] == protect[j - 1] + 1) j++;
                for (int k = i; k < j; k++)
                {
                    _mapped.Remove(protect[k]);
                    _incomplete.Remove(protect[k]);
                }
                parentCtx?.Unmap(protect[i] << MemoryFile.BlockShift, (ulong)(j - i) * (ulong)MemoryFile.BlockSize);
                i = j;
            }
        }
        child.WipeOnFork();
        return child;
    }

    /// <summary>Whether block bi holds a piece of a writable private mapping (one the stub maps writable).</summary>
    private bool HasWritablePrivatePiece(ulong bi)
    {
        ulong bs = bi << MemoryFile.BlockShift, be = bs + (ulong)MemoryFile.BlockSize;
        int j = FindIndex(bs);
        if (j < 0) j = ~j;
        for (; j < _vmas.Count && _vmas[j].Start < be; j++)
        {
            if (_vmas[j].Pages is null && (_vmas[j].Prot & Libc.PROT_WRITE) != 0) return true;
        }
        return false;
    }

    /// <summary>/proc/self/maps.</summary>
    public string FormatMaps()
    {
        var sb = new StringBuilder();
        lock (_lock)
        {
            foreach (var v in _vmas)
            {
                sb.Append(v.Start.ToString("x8", CultureInfo.InvariantCulture)).Append('-')
                  .Append(v.End.ToString("x8", CultureInfo.InvariantCulture)).Append(' ')
                  .Append(v.Readable ? 'r' : '-').Append(v.Writable ? 'w' : '-')
                  .Append((v.Prot & Libc.PROT_EXEC) != 0 ? 'x' : '-').Append(v.Shared ? 's' : 'p').Append(' ')
                  .Append(v.FileOffset.ToString("x8", CultureInfo.InvariantCulture)).Append(" 00:00 0");
                if (v.Name.Length > 0) sb.Append(new string(' ', 19)).Append(v.Name);
                sb.Append('\n');
            }
        }
        return sb.ToString();
    }

    /// <summary>Resident memory estimate in bytes (blocks touched) for /proc status.</summary>
    public long ResidentBytes
    {
        get { lock (_lock) return _blocks.Count * MemoryFile.BlockSize; }
    }

    /// <summary>Total mapped bytes (VmSize).</summary>
    public ulong VirtualBytes
    {
        get
        {
            lock (_lock)
            {
                ulong n = 0;
                foreach (var v in _vmas) n += v.Length;
                return n;
            }
        }
    }
}
