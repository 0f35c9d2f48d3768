using Csrunsc.Native;

namespace Csrunsc.Kvm;

/// <summary>
/// One guest address space: 4-level page tables in the private area, written by the Sentry. An
/// entry that was not present is written directly (the shadow MMU walks the guest's tables on a
/// miss, so it finds it); every other change (removal, new frame, fewer rights) is queued and
/// stored by the guest itself at its next entry (<see cref="KvmStub"/>), because only guest
/// stores keep the shadow MMU's copy true. Used only by the threads of the address space's
/// tasks, with the Sentry's memory manager serialising Map/Unmap.
/// </summary>
internal sealed unsafe class GuestPageTables
{
    private const ulong P = KvmMachine.PteP, W = KvmMachine.PteW, U = KvmMachine.PteU;
    private const ulong AddrMask = 0x000f_ffff_ffff_f000;

    private readonly KvmMachine _m;
    private readonly List<ulong> _tables = new();

    /// <summary>Queued (page-table entry's guest-physical address, value) stores, in order.</summary>
    private readonly List<(ulong Pte, ulong Value)> _pending = new();
    private readonly HashSet<ulong> _pendingPtes = new();

    public ulong Pml4 { get; }

    /// <summary>Contexts (vCPUs) using this address space; changed under the platform's lock.</summary>
    public int Users;

    /// <summary>The platform's handle for this address space (what a prepared thread carries).</summary>
    public int Id;

    private GuestPageTables(KvmMachine m, ulong pml4)
    {
        _m = m;
        Pml4 = pml4;
        _tables.Add(pml4);
    }

    public static GuestPageTables? Create(KvmMachine m)
    {
        ulong pml4 = m.AllocatePage();
        if (pml4 == 0) return null;
        var pt = new GuestPageTables(m, pml4);
        ((ulong*)m.HostOf(pml4))[256] = m.KernelPdpt | P | W;
        // The entry page, user read/execute, just above the guest's range.
        if (pt.Set(KvmStub.EntryVa, m.EntryPagePhys | P | U) < 0) return null;
        return pt;
    }

    public int PendingCount
    {
        get { lock (_pending) return _pending.Count; }
    }

    /// <summary>Moves up to max queued stores into dst (kernel address of the entry, value); returns how many.</summary>
    public int TakePending(ulong* dst, int max)
    {
        lock (_pending)
        {
            int n = Math.Min(max, _pending.Count);
            for (int i = 0; i < n; i++)
            {
                dst[2 * i] = KvmMachine.KernelVaOf(_pending[i].Pte);
                dst[2 * i + 1] = _pending[i].Value;
            }
            _pending.RemoveRange(0, n);
            if (_pending.Count == 0) _pendingPtes.Clear();
            return n;
        }
    }

    public int Map(ulong addr, ulong length, int prot, long fileOffset)
    {
        if ((prot & (Libc.PROT_READ | Libc.PROT_WRITE | Libc.PROT_EXEC)) == 0) return Unmap(addr, length);
        ulong flags = P | U | ((prot & Libc.PROT_WRITE) != 0 ? W : 0);
        for (ulong off = 0; off < length; off += KvmMachine.PageSize)
        {
            ulong frame = (ulong)fileOffset + off;
            if (frame >= _m.MemorySize) return -Errno.EINVAL;
            if (Set(addr + off, frame | flags) < 0) return -Errno.ENOMEM;
        }
        return 0;
    }

    public int Unmap(ulong addr, ulong length)
    {
        ulong end = addr + length;
        ulong va = addr;
        while (va < end)
        {
            ulong* pte = Walk(va, allocate: false, out ulong skip);
            if (pte is null)
            {
                va = (va + skip) & ~(skip - 1);
                continue;
            }
            Store(pte, 0);
            va += KvmMachine.PageSize;
        }
        return 0;
    }

    /// <summary>Guest-physical address of a user virtual address (any present mapping), or ulong.MaxValue.</summary>
    public ulong Translate(ulong va)
    {
        ulong* pte = Walk(va, allocate: false, out _);
        if (pte is null || (*pte & P) == 0) return ulong.MaxValue;
        return (*pte & AddrMask) | (va & 0xfff);
    }

    /// <summary>The level-1 entry for va as the Sentry wrote it (0 if none; debugging).</summary>
    public ulong PteOf(ulong va)
    {
        ulong* pte = Walk(va, allocate: false, out _);
        return pte is null ? 0 : *pte;
    }

    private int Set(ulong va, ulong value)
    {
        ulong* pte = Walk(va, allocate: true, out _);
        if (pte is null) return -Errno.ENOMEM;
        Store(pte, value);
        return 0;
    }

    private void Store(ulong* pte, ulong value)
    {
        ulong phys = PhysOf(pte);
        lock (_pending)
        {
        if (!_pendingPtes.Contains(phys))
        {
            ulong old = *pte;
            if (old == value) return;
            if (old == 0)
            {
                *pte = value;
                return;
            }
        }
            _pending.Add((phys, value));
            _pendingPtes.Add(phys);
        }
    }

    private ulong PhysOf(ulong* p) => KvmMachine.PrivateBase + (ulong)((byte*)p - _m.Private);

    /// <summary>
    /// The level-1 entry for va; intermediate tables are created when allocate. Without allocate a
    /// missing table gives null, with skip = the span it would have covered.
    /// </summary>
    private ulong* Walk(ulong va, bool allocate, out ulong skip)
    {
        ulong* table = (ulong*)_m.HostOf(Pml4);
        for (int level = 3; level >= 1; level--)
        {
            int shift = 12 + 9 * level;
            ulong* e = table + ((va >> shift) & 511);
            if ((*e & P) == 0)
            {
                if (!allocate)
                {
                    skip = 1UL << shift;
                    return null;
                }
                ulong page = _m.AllocatePage();
                if (page == 0)
                {
                    skip = 0;
                    return null;
                }
                _tables.Add(page);
                *e = page | P | W | U;   // was not present: a direct store is seen
            }
            table = (ulong*)_m.HostOf(*e & AddrMask);
        }
        skip = KvmMachine.PageSize;
        return table + ((va >> 12) & 511);
    }

    /// <summary>Gives the tables' memory back (the address space is gone).</summary>
    public void Destroy()
    {
        foreach (ulong t in _tables) _m.DiscardPage(t);
        _tables.Clear();
        _pending.Clear();
        _pendingPtes.Clear();
    }
}
