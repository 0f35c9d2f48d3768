using Csrunsc.Native;

namespace Csrunsc.Sentry.Memory;

/// <summary>madvise: the advice that changes memory (DONTNEED, REMOVE) or fork (DONTFORK, WIPEONFORK); hints are accepted.</summary>
public sealed partial class MemoryManager
{
    public const int MADV_NORMAL = 0, MADV_RANDOM = 1, MADV_SEQUENTIAL = 2, MADV_WILLNEED = 3, MADV_DONTNEED = 4,
        MADV_FREE = 8, MADV_REMOVE = 9, MADV_DONTFORK = 10, MADV_DOFORK = 11, MADV_MERGEABLE = 12, MADV_UNMERGEABLE = 13,
        MADV_HUGEPAGE = 14, MADV_NOHUGEPAGE = 15, MADV_DONTDUMP = 16, MADV_DODUMP = 17, MADV_WIPEONFORK = 18,
        MADV_KEEPONFORK = 19, MADV_COLD = 20, MADV_PAGEOUT = 21, MADV_POPULATE_READ = 22, MADV_POPULATE_WRITE = 23,
        MADV_DONTNEED_LOCKED = 24, MADV_COLLAPSE = 25;

    private const int FALLOC_FL_KEEP_SIZE = 1, FALLOC_FL_PUNCH_HOLE = 2;

    /// <summary>
    /// Applies advice to every VMA piece of [start, end) (page-aligned, checked by the caller), as
    /// mm/madvise.c: the VMAs that change are split at the ends; a hole in the range answers ENOMEM
    /// after the mapped parts were done; the first VMA that refuses the advice stops with its errno.
    /// </summary>
    public int Advise(ulong start, ulong end, int advice)
    {
        bool hole = false;
        lock (_lock)
        {
            if (advice is MADV_DONTFORK or MADV_DOFORK or MADV_WIPEONFORK or MADV_KEEPONFORK)
            {
                SplitAt(start);
                SplitAt(end);
            }
            ulong at = start;
            int i = FindIndex(start);
            if (i < 0) i = ~i;
            for (; i < _vmas.Count && _vmas[i].Start < end; i++)
            {
                var v = _vmas[i];
                if (v.Start > at) hole = true;
                ulong s = Math.Max(v.Start, start), e = Math.Min(v.End, end);
                int r = AdviseVma(v, s, e, advice);
                if (r < 0) return r;
                at = v.End;
            }
            if (at < end) hole = true;
        }
        return hole ? -Errno.ENOMEM : 0;
    }

    private int AdviseVma(Vma v, ulong s, ulong e, int advice)
    {
        switch (advice)
        {
            case MADV_DONTNEED:
            case MADV_DONTNEED_LOCKED:
                // madvise_dontneed_free_valid_vma: locked memory is dropped only with DONTNEED_LOCKED.
                if (v.Locked && advice == MADV_DONTNEED) return -Errno.EINVAL;
                // Private pages are dropped: anonymous ones read back as zeros, file ones as the file.
                // Shared pages stay (they are the file's, or the shared anonymous object's).
                if (!v.Shared) DropPrivatePages(v, s, e);
                return 0;
            case MADV_FREE:
                // The kernel may drop the pages until they are written again; keeping them is allowed.
                if (v.Locked) return -Errno.EINVAL;
                return v.File is null && !v.Shared ? 0 : -Errno.EINVAL;
            case MADV_REMOVE:
                return RemovePages(v, s, e);
            case MADV_DONTFORK:
                v.DontFork = true;
                return 0;
            case MADV_DOFORK:
                v.DontFork = false;
                return 0;
            case MADV_WIPEONFORK:
            case MADV_KEEPONFORK:
                // Anonymous private memory only (madvise_behavior).
                if (v.File is not null || v.Shared) return -Errno.EINVAL;
                v.WipeOnFork = advice == MADV_WIPEONFORK;
                return 0;
            case MADV_POPULATE_READ:
            case MADV_POPULATE_WRITE:
                // Faulting in is left to first touch; what Linux would refuse is refused.
                if (v.Prot == Libc.PROT_NONE || (advice == MADV_POPULATE_WRITE && !v.Writable)) return -Errno.EINVAL;
                return 0;
            default:
                // NORMAL, RANDOM, SEQUENTIAL, WILLNEED, COLD, PAGEOUT, MERGEABLE, HUGEPAGE, DONTDUMP,
                // COLLAPSE and their opposites: hints about paging the Sentry does not act on.
                return 0;
        }
    }

    /// <summary>MADV_DONTNEED on a private VMA piece: touched pages get their first contents again (zeros, or the file's).</summary>
    private void DropPrivatePages(Vma v, ulong s, ulong e)
    {
        foreach (ulong bi in new BlockRange(s >> MemoryFile.BlockShift, BlockUp(e) >> MemoryFile.BlockShift, _blocks.Keys))
        {
            if (!_blocks.TryGetValue(bi, out var b)) continue;
            b = Unshare(bi, b);
            if (b.Shared) continue; // no memory for a private copy: never zero the sharers' page
            ulong bs = bi << MemoryFile.BlockShift;
            ulong ps = Math.Max(s, bs), pe = Math.Min(e, bs + (ulong)MemoryFile.BlockSize);
            File.Zero(b.Offset + (long)(ps - bs), (long)(pe - ps));
            if (v.File is not null) FillFromFiles(b, ps, pe);
        }
    }

    /// <summary>
    /// MADV_REMOVE (madvise_remove): frees the backing of a shared writable mapping — a hole punched
    /// in the file, or the shared anonymous pages zeroed; private memory answers EINVAL.
    /// </summary>
    private int RemovePages(Vma v, ulong s, ulong e)
    {
        if (!v.Shared || v.Pages is null) return -Errno.EINVAL;
        if (!v.MayWrite) return -Errno.EACCES;
        long first = v.PageIndex(s), count = (long)((e - s) / MemoryFile.PageSize);
        if (v.File is not null)
        {
            int r = v.File.Allocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, first * MemoryFile.PageSize, count * MemoryFile.PageSize);
            if (r < 0) return r;
        }
        v.Pages.ZeroPages(first, count);
        return 0;
    }

    /// <summary>Whether a VMA of this (child) address space covers some page of block bi.</summary>
    private bool ReachesInherited(ulong bi)
    {
        ulong bs = bi << MemoryFile.BlockShift, be = bs + (ulong)MemoryFile.BlockSize;
        int j = FindIndex(bs);
        if (j < 0) j = ~j;
        for (; j < _vmas.Count && _vmas[j].Start < be; j++)
        {
            var v = _vmas[j];
            if (v.End > bs && !(v.WipeOnFork && v.Start <= bs && v.End >= be)) return true;
        }
        return false;
    }

    /// <summary>After fork, in the child: MADV_WIPEONFORK memory starts as zeros (blocks only partly covered get a zeroed copy).</summary>
    private void WipeOnFork()
    {
        foreach (var v in _vmas)
        {
            if (!v.WipeOnFork) continue;
            foreach (ulong bi in new BlockRange(v.Start >> MemoryFile.BlockShift, BlockUp(v.End) >> MemoryFile.BlockShift, _blocks.Keys))
            {
                if (!_blocks.TryGetValue(bi, out var b)) continue;
                b = Unshare(bi, b);
                if (b.Shared) continue; // no memory for a private copy: never zero the parent's page
                ulong bs = bi << MemoryFile.BlockShift;
                ulong ps = Math.Max(v.Start, bs), pe = Math.Min(v.End, bs + (ulong)MemoryFile.BlockSize);
                File.Zero(b.Offset + (long)(ps - bs), (long)(pe - ps));
            }
        }
    }
}
