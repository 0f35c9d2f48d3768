using Csrunsc.Native;

namespace Csrunsc.Kvm;

/// <summary>
/// The sandbox's virtual machine: guest physical memory is the Sentry's memory file (slot 0, at
/// guest-physical 0, the same mapping the Sentry copies through) plus a private area (slot 1, at
/// <see cref="PrivateBase"/>) for what only the platform writes: page tables, the IDT, the stub's
/// code and each vCPU's GDT/TSS/stack page. The private area is mapped at <see cref="KernelBase"/>
/// in every address space with supervisor 2 MiB pages; the guest's own range is the lower half.
/// </summary>
internal sealed unsafe class KvmMachine
{
    public const ulong PrivateBase = 0x100_0000_0000;   // guest-physical, above any memory file
    public const ulong PrivateSize = 1UL << 30;
    public const ulong KernelBase = 0xffff_8000_0000_0000;
    public const ulong PageSize = 4096;
    public const ulong PteP = 1, PteW = 2, PteU = 4, PtePs = 0x80;

    // Fixed pages at the start of the private area.
    private const ulong KernelPdptPage = 0, KernelPdPage = 1, IdtPage = 2, CodePage = 3, EntryPage = 4, FirstFreePage = 5;

    public int KvmFd { get; }
    public int VmFd { get; }
    public int RunSize { get; }
    public byte* Private { get; }
    public byte* MemoryBase { get; }
    public ulong MemorySize { get; }
    public KvmStub Stub { get; }
    public byte[] Cpuid { get; }

    /// <summary>Guest-physical address of the kernel half's PDPT (PML4 slot 256 of every address space).</summary>
    public ulong KernelPdpt => PrivateBase + KernelPdptPage * PageSize;
    public ulong EntryPagePhys => PrivateBase + EntryPage * PageSize;
    public ulong IdtVa => KernelBase + IdtPage * PageSize;

    private ulong _nextPage = FirstFreePage;
    private readonly object _lock = new();

    private KvmMachine(int kvmFd, int vmFd, int runSize, byte* priv, byte* memBase, ulong memSize, byte[] cpuid)
    {
        KvmFd = kvmFd;
        VmFd = vmFd;
        RunSize = runSize;
        Private = priv;
        MemoryBase = memBase;
        MemorySize = memSize;
        Cpuid = cpuid;
        Stub = new KvmStub(KernelBase + CodePage * PageSize);
        BuildKernelHalf();
    }

    /// <summary>Opens /dev/kvm and creates the VM over the memory file; returns -errno with a reason on failure.</summary>
    public static int Create(byte* memoryBase, ulong memorySize, out KvmMachine? machine, out string? why)
    {
        machine = null;
        why = null;
        int kvm = Libc.OpenPath("/dev/kvm", Libc.O_RDWR | Libc.O_CLOEXEC);
        if (kvm < 0)
        {
            int e = Libc.LastErrno;
            why = $"/dev/kvm: {Errno.Name(e)}";
            return -e;
        }
        int vm = -1;
        try
        {
            if (Libc.Ioctl(kvm, KvmAbi.KVM_GET_API_VERSION, null) != 12) { why = "KVM API version is not 12"; return -Errno.ENODEV; }
            foreach (int cap in new[] { KvmAbi.KVM_CAP_USER_MEMORY, KvmAbi.KVM_CAP_IMMEDIATE_EXIT, KvmAbi.KVM_CAP_SYNC_REGS, KvmAbi.KVM_CAP_XSAVE })
                if (Libc.Ioctl(kvm, KvmAbi.KVM_CHECK_EXTENSION, (void*)cap) <= 0) { why = $"KVM lacks capability {cap}"; return -Errno.ENODEV; }
            int runSize = Libc.Ioctl(kvm, KvmAbi.KVM_GET_VCPU_MMAP_SIZE, null);
            vm = Libc.Ioctl(kvm, KvmAbi.KVM_CREATE_VM, null);
            if (vm < 0) { int e = Libc.LastErrno; why = $"KVM_CREATE_VM: {Errno.Name(e)}"; return -e; }
            void* priv = Libc.Mmap(null, (nuint)PrivateSize, Libc.PROT_READ | Libc.PROT_WRITE,
                Libc.MAP_SHARED | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE, -1, 0);
            if ((nint)priv == Libc.MapFailed) { int e = Libc.LastErrno; why = $"mmap of the private area: {Errno.Name(e)}"; return -e; }
            var slot0 = new KvmMemoryRegion { Slot = 0, GuestPhysAddr = 0, MemorySize = memorySize, UserspaceAddr = (ulong)memoryBase };
            var slot1 = new KvmMemoryRegion { Slot = 1, GuestPhysAddr = PrivateBase, MemorySize = PrivateSize, UserspaceAddr = (ulong)priv };
            if (Libc.Ioctl(vm, KvmAbi.KVM_SET_USER_MEMORY_REGION, &slot0) < 0 || Libc.Ioctl(vm, KvmAbi.KVM_SET_USER_MEMORY_REGION, &slot1) < 0)
            {
                int e = Libc.LastErrno;
                why = $"KVM_SET_USER_MEMORY_REGION: {Errno.Name(e)}";
                return -e;
            }
            // The CPUID the guest sees: what KVM supports on this host, as KVM_GET_SUPPORTED_CPUID says.
            const int maxEntries = 128;
            var cpuid = new byte[8 + maxEntries * 40];
            fixed (byte* c = cpuid)
            {
                *(uint*)c = maxEntries;
                if (Libc.Ioctl(kvm, KvmAbi.KVM_GET_SUPPORTED_CPUID, c) < 0) { int e = Libc.LastErrno; why = $"KVM_GET_SUPPORTED_CPUID: {Errno.Name(e)}"; return -e; }
            }
            machine = new KvmMachine(kvm, vm, runSize, (byte*)priv, memoryBase, memorySize, cpuid);
            return 0;
        }
        finally
        {
            if (machine is null)
            {
                if (vm >= 0) Libc.Close(vm);
                Libc.Close(kvm);
            }
        }
    }

    private void BuildKernelHalf()
    {
        // Upper half: KernelBase + x -> PrivateBase + x, 2 MiB supervisor pages, writable.
        ulong* pdpt = (ulong*)(Private + KernelPdptPage * PageSize);
        ulong* pd = (ulong*)(Private + KernelPdPage * PageSize);
        pdpt[0] = (PrivateBase + KernelPdPage * PageSize) | PteP | PteW;
        for (ulong i = 0; i < PrivateSize >> 21; i++) pd[i] = (PrivateBase + (i << 21)) | PteP | PteW | PtePs;
        // IDT: vectors 0..31, interrupt gates (IF cleared), DPL 0, kernel CS 0x10.
        ulong* idt = (ulong*)(Private + IdtPage * PageSize);
        for (int v = 0; v < 32; v++)
        {
            ulong h = Stub.Vectors[v];
            idt[v * 2] = (h & 0xffff) | (0x10UL << 16) | (0xEUL << 40) | (1UL << 47) | (((h >> 16) & 0xffff) << 48);
            idt[v * 2 + 1] = h >> 32;
        }
        Stub.KernelCode.CopyTo(new Span<byte>(Private + CodePage * PageSize, (int)PageSize));
        Stub.EntryPage.CopyTo(new Span<byte>(Private + EntryPage * PageSize, (int)PageSize));
    }

    /// <summary>
    /// A fresh zeroed private page (guest-physical address), or 0 when the area is used up. Pages are
    /// never reused: the shadow MMU caches what it saw in a page used as a page table, and a host
    /// rewrite of it would not be noticed (see ARCHITECTURE.md).
    /// </summary>
    public ulong AllocatePage()
    {
        lock (_lock)
        {
            if (_nextPage >= PrivateSize / PageSize) return 0;
            return PrivateBase + _nextPage++ * PageSize;
        }
    }

    /// <summary>Gives a page's memory back to the host (its guest-physical address is not reused).</summary>
    public void DiscardPage(ulong phys)
    {
        const int SYS_madvise = 28, MADV_DONTNEED = 4;
        Libc.Syscall(SYS_madvise, (long)HostOf(phys), (long)PageSize, MADV_DONTNEED, 0, 0, 0);
    }

    /// <summary>The Sentry's pointer to a private page, by guest-physical address.</summary>
    public byte* HostOf(ulong phys) => Private + (phys - PrivateBase);

    /// <summary>The supervisor virtual address of a private guest-physical address.</summary>
    public static ulong KernelVaOf(ulong phys) => KernelBase + (phys - PrivateBase);

    /// <summary>The Sentry's pointer to guest-physical memory (memory file or private area); null outside.</summary>
    public byte* HostOfAny(ulong phys)
    {
        if (phys < MemorySize) return MemoryBase + phys;
        if (phys >= PrivateBase && phys < PrivateBase + PrivateSize) return Private + (phys - PrivateBase);
        return null;
    }
}
