using System.Runtime.CompilerServices;
using Csrunsc.Native;
using Csrunsc.Sentry.Platform;

namespace Csrunsc.Kvm;

/// <summary>
/// One guest thread: a vCPU of the sandbox's VM, created and run by its task's own OS thread.
/// Switch enters the guest with KVM_RUN (registers through kvm_run's sync area, no extra ioctl)
/// and returns at the stub's next exit: a syscall (the entry page's `out`), an exception (the
/// vectors' `out`), or an interruption (a host signal with immediate_exit).
/// </summary>
internal sealed unsafe class KvmContext : IContext
{
    private const ushort UserCs = 0x33, UserCs32 = 0x23, UserDs = 0x2b;
    private const ulong UserFlagsMask = 0x254dd5; // CF PF AF ZF SF TF DF OF NT RF AC ID, as ptrace lets them be set
    private const ulong SigSegvKernel = 0x80;
    private const int SEGV_MAPERR = 1, SEGV_ACCERR = 2, ILL_ILLOPN = 2, FPE_INTDIV = 1, BUS_ADRALN = 1, TRAP_BRKPT = 1;
    private const uint TssLimit = 0x68 + 4 - 1;   // the TSS and 4 bytes of I/O bitmap (ports 0..31)
    private const ulong VsyscallBase = 0xffff_ffff_ff60_0000;

    private readonly KvmPlatform _platform;
    private readonly KvmMachine _m;
    private readonly GuestPageTables _as;
    private readonly int _vcpuFd;
    private readonly byte* _run;
    private readonly ulong _page;       // this vCPU's private page (GDT, TSS, store list, stack)
    private readonly byte* _pageHost;
    private readonly ulong _stackTop;
    private readonly byte[] _xsave = new byte[KvmAbi.XsaveSize];
    private bool _dead;

    /// <summary>The vCPU is inside the vectors' tail at ResumeVa (CPL0, the frame on its stack), not at CPL3.</summary>
    private bool _inTrap;
    private ulong _fsBase, _gsBase;

    public int HostPid => 0;   // no host process: the guest runs in the Sentry's own VM
    public int HostTid { get; }

    private KvmContext(KvmPlatform platform, GuestPageTables space, int vcpuFd, byte* run, ulong page)
    {
        _platform = platform;
        _m = platform.Machine;
        _as = space;
        _vcpuFd = vcpuFd;
        _run = run;
        _page = page;
        _pageHost = _m.HostOf(page);
        _stackTop = KvmMachine.KernelVaOf(page) + KvmMachine.PageSize;
        HostTid = Libc.GetTid();
    }

    private ref KvmRegs RunRegs => ref Unsafe.AsRef<KvmRegs>(_run + KvmAbi.RunRegs);
    private ref KvmSregs RunSregs => ref Unsafe.AsRef<KvmSregs>(_run + KvmAbi.RunSregs);
    private ref ulong DirtyRegs => ref Unsafe.AsRef<ulong>(_run + KvmAbi.RunDirtyRegs);

    /// <summary>
    /// A vCPU for an address space, set up by the calling thread; -errno on failure. KVM frees a
    /// vCPU only with its VM, so vCPUs of ended threads are kept and handed out again.
    /// </summary>
    internal static int Create(KvmPlatform platform, GuestPageTables space, out KvmContext? context)
    {
        context = null;
        var m = platform.Machine;
        bool reused = platform.TakeVcpu(out var v);
        if (!reused)
        {
            ulong page = m.AllocatePage();
            if (page == 0) return -Errno.ENOMEM;
            int fd = Libc.Ioctl(m.VmFd, KvmAbi.KVM_CREATE_VCPU, (void*)platform.NextVcpuId());
            if (fd < 0) return -Libc.LastErrno;
            void* run = Libc.Mmap(null, (nuint)m.RunSize, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, 0);
            if ((nint)run == Libc.MapFailed)
            {
                int e = Libc.LastErrno;
                Libc.Close(fd);
                return -e;
            }
            v = new KvmPlatform.Vcpu(fd, (byte*)run, page);
        }
        var ctx = new KvmContext(platform, space, v.Fd, v.Run, v.Page);
        int r = ctx.Setup(reused);
        if (r < 0)
        {
            platform.ReturnVcpu(v);
            return r;
        }
        context = ctx;
        return 0;
    }

    private int Setup(bool reused)
    {
        if (!reused)
        {
            fixed (byte* c = _m.Cpuid)
                if (Libc.Ioctl(_vcpuFd, KvmAbi.KVM_SET_CPUID2, c) < 0) return -Libc.LastErrno;
        }
        *(_run + KvmAbi.RunImmediateExit) = 0;
        DirtyRegs = 0;

        // GDT (+0): 0x10 kernel code, 0x18 kernel data, 0x23 user code32, 0x2b user data, 0x33 user code, 0x40 TSS.
        ulong* gdt = (ulong*)_pageHost;
        gdt[2] = 0x00af9b000000ffff; gdt[3] = 0x00cf93000000ffff;
        gdt[4] = 0x00cffb000000ffff; gdt[5] = 0x00cff3000000ffff; gdt[6] = 0x00affb000000ffff;
        ulong tss = KvmMachine.KernelVaOf(_page) + 0x80;
        gdt[8] = TssLimit | ((tss & 0xffffff) << 16) | (0x89UL << 40) | (((tss >> 24) & 0xff) << 56);
        gdt[9] = tss >> 32;
        *(ulong*)(_pageHost + 0x80 + 4) = _stackTop;   // TSS.rsp0
        // The I/O permission bitmap right after the TSS lets CPL3 use port 0x10 only: the entry
        // page's `out` (a guest's own `out 0x10` elsewhere is told apart by its rip).
        *(ushort*)(_pageHost + 0x80 + 0x66) = 0x68;
        byte* iomap = _pageHost + 0x80 + 0x68;
        iomap[0] = 0xff; iomap[1] = 0xff; iomap[2] = 0xfe; iomap[3] = 0xff;

        KvmSregs s;
        if (Libc.Ioctl(_vcpuFd, KvmAbi.KVM_GET_SREGS, &s) < 0) return -Libc.LastErrno;
        s.Cr3 = _as.Pml4;
        s.Cr4 = (1 << 5) | (1 << 9) | (1 << 10) | (1 << 16);   // PAE OSFXSR OSXMMEXCPT FSGSBASE
        s.Cr0 = 0x80050033;                                     // PG AM WP NE ET MP PE
        s.Efer = (1 << 0) | (1 << 8) | (1 << 10);               // SCE LME LMA
        s.Gdt = new KvmDtable { Base = KvmMachine.KernelVaOf(_page), Limit = 10 * 8 - 1 };
        s.Idt = new KvmDtable { Base = _m.IdtVa, Limit = 32 * 16 - 1 };
        s.Cs = Segment(UserCs, code: true);
        s.Ss = Segment(UserDs, code: false);
        s.Ds = s.Es = s.Fs = s.Gs = s.Ss;
        s.Tr = new KvmSegment { Selector = 0x40, Base = tss, Limit = TssLimit, Type = 0xb, Present = 1 };
        s.Ldt = new KvmSegment { Unusable = 1 };
        if (Libc.Ioctl(_vcpuFd, KvmAbi.KVM_SET_SREGS, &s) < 0) return -Libc.LastErrno;
        RunSregs = s;   // the sync area holds state only after an exit: start it from what was set

        ulong* msrs = stackalloc ulong[1 + 3 * 2];
        *(uint*)msrs = 3;
        SetMsr(msrs, 0, KvmAbi.MSR_STAR, (0x23UL << 48) | (0x10UL << 32));
        SetMsr(msrs, 1, KvmAbi.MSR_LSTAR, KvmStub.EntryVa);
        SetMsr(msrs, 2, KvmAbi.MSR_FMASK, 0x47700);   // TF DF IF NT AC
        if (Libc.Ioctl(_vcpuFd, KvmAbi.KVM_SET_MSRS, msrs) != 3) return -Errno.EINVAL;

        if (_platform.SetSignalMask(_vcpuFd) < 0) return -Libc.LastErrno;
        *(ulong*)(_run + KvmAbi.RunValidRegs) = KvmAbi.KVM_SYNC_X86_REGS | KvmAbi.KVM_SYNC_X86_SREGS;
        // FP state as KVM initialises a vCPU (fcw 0x37f, mxcsr 0x1f80); the Kernel then sets the task's.
        return _platform.ResetFpState(_vcpuFd, reused);
    }

    private static void SetMsr(ulong* msrs, int i, uint index, ulong value)
    {
        // struct kvm_msrs { u32 nmsrs, pad; struct kvm_msr_entry { u32 index, reserved; u64 data; } entries[]; }
        ulong* e = msrs + 1 + i * 2;
        e[0] = index;
        e[1] = value;
    }

    private static KvmSegment Segment(ushort selector, bool code) => new()
    {
        Selector = selector, Limit = 0xffffffff, Present = 1, S = 1, Dpl = 3, G = 1,
        Type = (byte)(code ? 0xb : 0x3), L = (byte)(code ? 1 : 0), Db = (byte)(code ? 0 : 1),
    };

    public SwitchResult Switch(ref UserRegs regs, out SigInfo info)
    {
        info = default;
        if (_dead) return SwitchResult.Dead;
        SyncSegmentBases(in regs);
        if (!_inTrap)
        {
            // Only a sole user takes the queue here: with other threads, the thread that queued
            // a change has already stored it (ApplyIfShared), under the memory manager's lock.
            bool stores = Volatile.Read(ref _as.Users) == 1 && _as.PendingCount > 0;
            if (!stores && regs.Cs == UserCs)
            {
                // The common case: straight back to CPL3 at the guest's rip.
                LoadUserRegs(in regs);
                ref var r = ref RunRegs;
                r.Rip = regs.Rip;
                r.Rsp = regs.Rsp;
                r.Rflags = (regs.Eflags & UserFlagsMask) | 0x202;
                DirtyRegs |= KvmAbi.KVM_SYNC_X86_REGS;
            }
            else
            {
                // Through CPL0 first (the queued page-table stores, or a code segment change): the
                // entry page's ud2 traps into the vectors' tail, which does the stores and exits.
                LoadUserRegs(in regs);
                ref var r = ref RunRegs;
                r.Rip = KvmStub.TransitRip;
                r.Rflags = 0x202;
                if (stores) FillStores();
                else *(ulong*)(_pageHost + KvmStub.BufCount) = 0;
                DirtyRegs |= KvmAbi.KVM_SYNC_X86_REGS;
                int t = RunToTrapTail();
                if (t < 0) return Died();
            }
        }
        if (_inTrap)
        {
            while (Volatile.Read(ref _as.Users) == 1 && _as.PendingCount > 0)
            {
                FillStores();
                ref var r = ref RunRegs;
                r.Rip = _m.Stub.CommonVa;
                r.Rsp = _stackTop - 56;
                DirtyRegs |= KvmAbi.KVM_SYNC_X86_REGS;
                if (RunToTrapTail() < 0) return Died();
            }
            // The return frame (rip, cs, rflags, rsp, ss) for the tail's iretq.
            ulong* f = (ulong*)(_pageHost + KvmMachine.PageSize) - 5;
            f[0] = regs.Rip;
            f[1] = regs.Cs == UserCs32 ? UserCs32 : UserCs;
            f[2] = (regs.Eflags & UserFlagsMask) | 0x202;
            f[3] = regs.Rsp;
            f[4] = UserDs;
            LoadUserRegs(in regs);
            ref var rr = ref RunRegs;
            rr.Rip = _m.Stub.ResumeVa;
            rr.Rsp = _stackTop - 56;
            rr.Rflags = 0x2;
            DirtyRegs |= KvmAbi.KVM_SYNC_X86_REGS;
            _inTrap = false;
        }
        return RunGuest(ref regs, ref info);
    }

    /// <summary>KVM_RUN until an exit that belongs to the guest; fills regs/info.</summary>
    private SwitchResult RunGuest(ref UserRegs regs, ref SigInfo info)
    {
        while (true)
        {
            int r = Libc.Ioctl(_vcpuFd, KvmAbi.KVM_RUN, null);
            DirtyRegs = 0;
            if (r < 0)
            {
                int e = Libc.LastErrno;
                if (e != Errno.EINTR && e != Errno.EAGAIN) return Died();
                _platform.ConsumeKick(_run);
                ref var cur = ref RunRegs;
                if (RunSregs.Cs.Dpl == 0 || (cur.Rip >= KvmStub.EntryVa && cur.Rip < KvmStub.EntryVa + KvmMachine.PageSize))
                    continue;   // inside the stub: let it reach its exit (a few instructions)
                StoreUserRegs(ref regs);
                regs.Rip = cur.Rip;
                regs.Rsp = cur.Rsp;
                regs.Eflags = cur.Rflags;
                return SwitchResult.Interrupted;
            }
            uint reason = *(uint*)(_run + KvmAbi.RunExitReason);
            ref var k = ref RunRegs;
            if (reason == KvmAbi.KVM_EXIT_IO)
            {
                ushort port = *(ushort*)(_run + KvmAbi.RunIoPort);
                if (port == KvmStub.SyscallPort && IsAfterOut(k.Rip, KvmStub.EntryVa))
                {
                    StoreUserRegs(ref regs);
                    regs.Rip = k.Rcx;
                    regs.Eflags = k.R11;
                    regs.Rsp = k.Rsp;
                    regs.OrigRax = k.Rax;
                    regs.Rax = unchecked((ulong)-Errno.ENOSYS);
                    regs.Cs = UserCs;
                    regs.Ss = UserDs;
                    return SwitchResult.Syscall;
                }
                if (port == KvmStub.TrapPort && IsAfterOut(k.Rip, _m.Stub.ResumeVa - 2))
                {
                    _inTrap = true;
                    return Trap(ref regs, ref info);
                }
            }
            // The guest's own port I/O (or a halt, or a state KVM refuses): as Linux answers a
            // privileged instruction at CPL3, SIGSEGV.
            if (reason is KvmAbi.KVM_EXIT_IO or KvmAbi.KVM_EXIT_HLT)
            {
                StoreUserRegs(ref regs);
                regs.Rip = k.Rip;
                regs.Rsp = k.Rsp;
                regs.Eflags = k.Rflags;
                info.Signo = Libc.SIGSEGV;
                info.Code = (int)SigSegvKernel;
                return SwitchResult.Fault;
            }
            _platform.Log($"csrunsc: kvm: vCPU of tid {HostTid} stopped (exit reason {reason}); its process is lost\n");
            return Died();
        }
    }

    /// <summary>
    /// At an I/O exit this host (kvm_pvm) reports rip after the 2-byte `out`; hardware KVM reports it
    /// at the `out` (and skips it on the next KVM_RUN unless rip was changed: every resume here sets rip).
    /// </summary>
    private static bool IsAfterOut(ulong rip, ulong outVa) => rip == outVa + 2 || rip == outVa;

    /// <summary>An exception reached the vectors' tail: the frame is on this vCPU's stack.</summary>
    private SwitchResult Trap(ref UserRegs regs, ref SigInfo info)
    {
        ulong* top = (ulong*)(_pageHost + KvmMachine.PageSize);
        ulong vector = top[-7], err = top[-6];
        StoreUserRegs(ref regs);
        regs.Rip = top[-5];
        regs.Cs = top[-4];
        regs.Eflags = top[-3];
        regs.Rsp = top[-2];
        regs.Ss = top[-1];
        if (KvmPlatform.Trace) _platform.Log($"kvm: tid {HostTid} vector {vector} err {err:x} rip {regs.Rip:x} rsp {regs.Rsp:x} cr2 {RunSregs.Cr2:x} pte {_as.PteOf(RunSregs.Cr2):x} users {_as.Users} pending {_as.PendingCount}\n");
        switch (vector)
        {
            case 14:
            {
                ulong cr2 = RunSregs.Cr2;
                if (cr2 >= VsyscallBase && cr2 < VsyscallBase + 0x1000 && regs.Rip == cr2)
                    return Vsyscall(ref regs, ref info, cr2 - VsyscallBase);
                info.Signo = Libc.SIGSEGV;
                info.Code = (err & 1) != 0 ? SEGV_ACCERR : SEGV_MAPERR;
                info.Addr = cr2;
                return SwitchResult.Fault;
            }
            case 0:
                info.Signo = Libc.SIGFPE; info.Code = FPE_INTDIV; info.Addr = regs.Rip;
                return SwitchResult.Fault;
            case 1:
            case 3:
                info.Signo = Libc.SIGTRAP; info.Code = vector == 3 ? (int)SigSegvKernel : TRAP_BRKPT;
                return SwitchResult.Fault;
            case 6:
                if (IsInt80(regs.Rip))
                {
                    // `int 0x80` arrives as #UD on this host: the 32-bit entry it stands for.
                    regs.Rip += 2;
                    regs.OrigRax = regs.Rax;
                    regs.Rax = unchecked((ulong)-Errno.ENOSYS);
                    return SwitchResult.Syscall;
                }
                info.Signo = Libc.SIGILL; info.Code = ILL_ILLOPN; info.Addr = regs.Rip;
                return SwitchResult.Fault;
            case 16:
            case 19:
                info.Signo = Libc.SIGFPE; info.Addr = regs.Rip;
                return SwitchResult.Fault;
            case 17:
                info.Signo = Libc.SIGBUS; info.Code = BUS_ADRALN; info.Addr = regs.Rip;
                return SwitchResult.Fault;
            case 8:
                _platform.Log($"csrunsc: kvm: double fault in the guest (tid {HostTid})\n");
                return Died();
            default:
                info.Signo = Libc.SIGSEGV; info.Code = (int)SigSegvKernel;
                return SwitchResult.Fault;
        }
    }

    private bool IsInt80(ulong rip)
    {
        ulong phys = _as.Translate(rip);
        if (phys == ulong.MaxValue || (phys & 0xfff) > 0xffe) return false;
        byte* p = _m.HostOfAny(phys);
        return p is not null && p[0] == 0xCD && p[1] == 0x80;
    }

    /// <summary>A call into the legacy vsyscall page: answered as its syscall, `ret` done here.</summary>
    private SwitchResult Vsyscall(ref UserRegs regs, ref SigInfo info, ulong offset)
    {
        int nr = offset switch { 0 => 96, 0x400 => 201, 0x800 => 309, _ => -1 };
        ulong phys = _as.Translate(regs.Rsp);
        byte* p = phys == ulong.MaxValue || (phys & 0xfff) > 0xff8 ? null : _m.HostOfAny(phys);
        if (nr < 0 || p is null)
        {
            info.Signo = Libc.SIGSEGV;
            info.Code = SEGV_MAPERR;
            info.Addr = nr < 0 ? regs.Rip : regs.Rsp;
            return SwitchResult.Fault;
        }
        regs.Rip = *(ulong*)p;
        regs.Rsp += 8;
        info.Status = nr;
        return SwitchResult.Vsyscall;
    }

    /// <summary>KVM_RUN until the vectors' tail exits (after its stores); -1 if the vCPU is lost.</summary>
    private int RunToTrapTail()
    {
        while (true)
        {
            int r = Libc.Ioctl(_vcpuFd, KvmAbi.KVM_RUN, null);
            DirtyRegs = 0;
            if (r < 0)
            {
                int e = Libc.LastErrno;
                if (e != Errno.EINTR && e != Errno.EAGAIN) return -1;
                _platform.ConsumeKick(_run);
                continue;
            }
            uint reason = *(uint*)(_run + KvmAbi.RunExitReason);
            if (reason == KvmAbi.KVM_EXIT_IO && *(ushort*)(_run + KvmAbi.RunIoPort) == KvmStub.TrapPort && IsAfterOut(RunRegs.Rip, _m.Stub.ResumeVa - 2))
            {
                _inTrap = true;
                return 0;
            }
            _platform.Log($"csrunsc: kvm: vCPU of tid {HostTid} left the stub unexpectedly (exit reason {reason})\n");
            return -1;
        }
    }

    private void FillStores()
    {
        int n = _as.TakePending((ulong*)(_pageHost + KvmStub.BufPairs), KvmStub.MaxPairs);
        *(ulong*)(_pageHost + KvmStub.BufCount) = (ulong)n;
    }

    private void SyncSegmentBases(in UserRegs regs)
    {
        if (regs.FsBase == _fsBase && regs.GsBase == _gsBase) return;
        ref var s = ref RunSregs;
        s.Fs.Base = regs.FsBase;
        s.Gs.Base = regs.GsBase;
        _fsBase = regs.FsBase;
        _gsBase = regs.GsBase;
        DirtyRegs |= KvmAbi.KVM_SYNC_X86_SREGS;
    }

    private void LoadUserRegs(in UserRegs u)
    {
        ref var r = ref RunRegs;
        r.Rax = u.Rax; r.Rbx = u.Rbx; r.Rcx = u.Rcx; r.Rdx = u.Rdx; r.Rsi = u.Rsi; r.Rdi = u.Rdi; r.Rbp = u.Rbp;
        r.R8 = u.R8; r.R9 = u.R9; r.R10 = u.R10; r.R11 = u.R11; r.R12 = u.R12; r.R13 = u.R13; r.R14 = u.R14; r.R15 = u.R15;
        r.Rsp = u.Rsp;
    }

    private void StoreUserRegs(ref UserRegs u)
    {
        ref var r = ref RunRegs;
        u.Rax = r.Rax; u.Rbx = r.Rbx; u.Rcx = r.Rcx; u.Rdx = r.Rdx; u.Rsi = r.Rsi; u.Rdi = r.Rdi; u.Rbp = r.Rbp;
        u.R8 = r.R8; u.R9 = r.R9; u.R10 = r.R10; u.R11 = r.R11; u.R12 = r.R12; u.R13 = r.R13; u.R14 = r.R14; u.R15 = r.R15;
        u.OrigRax = ulong.MaxValue;
        u.Cs = UserCs;
        u.Ss = UserDs;
        u.FsBase = _fsBase;
        u.GsBase = _gsBase;
    }

    private SwitchResult Died()
    {
        _dead = true;
        return SwitchResult.Dead;
    }

    public int Map(ulong addr, ulong length, int prot, long fileOffset)
    {
        int r = _as.Map(addr, length, prot, fileOffset);
        return r < 0 ? r : ApplyIfShared();
    }

    public int Unmap(ulong addr, ulong length)
    {
        int r = _as.Unmap(addr, length);
        return r < 0 ? r : ApplyIfShared();
    }

    /// <summary>
    /// With other threads in the address space, a queued change cannot wait for this thread's next
    /// entry: their vCPUs may use the old entry meanwhile. So this (idle) vCPU stores the queue now;
    /// KVM's tracked write flushes every vCPU's TLB before the store completes. Alone, the queue
    /// goes with the next entry (one transit for any number of changes).
    /// </summary>
    private int ApplyIfShared() => Volatile.Read(ref _as.Users) <= 1 ? 0 : ApplyNow();

    /// <summary>This vCPU stores the queued page-table changes now (the calling thread owns it and is out of the guest).</summary>
    private int ApplyNow()
    {
        if (_as.PendingCount == 0 || _dead) return 0;
        if (!_inTrap)
        {
            ref var r = ref RunRegs;
            r.Rip = KvmStub.TransitRip;
            r.Rflags = 0x202;
            FillStores();
            DirtyRegs |= KvmAbi.KVM_SYNC_X86_REGS;
            if (RunToTrapTail() < 0) return Fail();
        }
        while (_as.PendingCount > 0)
        {
            FillStores();
            ref var r = ref RunRegs;
            r.Rip = _m.Stub.CommonVa;
            r.Rsp = _stackTop - 56;
            DirtyRegs |= KvmAbi.KVM_SYNC_X86_REGS;
            if (RunToTrapTail() < 0) return Fail();
        }
        return 0;

        int Fail()
        {
            _dead = true;
            return -Errno.EFAULT;
        }
    }

    public int PrepareThread(out ThreadHandle handle)
    {
        // The new task's own thread creates its vCPU in AttachThread; the handle names the address space.
        // Changes this thread queued while alone are stored first: from now on a thread that
        // queues a change stores it itself.
        handle = new ThreadHandle(_as.Id, 0);
        int r = ApplyNow();
        if (r < 0) return r;
        return _platform.RetainAddressSpace(_as) ? 0 : -Errno.EAGAIN;
    }

    public int GetFpState(Span<byte> fxsave)
    {
        if (fxsave.Length < 512) return -Errno.EINVAL;
        fixed (byte* x = _xsave)
        {
            if (Libc.Ioctl(_vcpuFd, KvmAbi.KVM_GET_XSAVE, x) < 0) return -Libc.LastErrno;
            new ReadOnlySpan<byte>(x, 512).CopyTo(fxsave);
        }
        return 0;
    }

    public int SetFpState(ReadOnlySpan<byte> fxsave)
    {
        if (fxsave.Length < 512) return -Errno.EINVAL;
        fixed (byte* x = _xsave)
        {
            if (Libc.Ioctl(_vcpuFd, KvmAbi.KVM_GET_XSAVE, x) < 0) return -Libc.LastErrno;
            fxsave[..512].CopyTo(new Span<byte>(x, 512));
            *(ulong*)(x + 512) |= 3;   // XSTATE_BV: x87 and SSE come from the legacy area
            if (Libc.Ioctl(_vcpuFd, KvmAbi.KVM_SET_XSAVE, x) < 0) return -Libc.LastErrno;
        }
        return 0;
    }

    public void Interrupt()
    {
        if (_dead) return;
        Volatile.Write(ref *(_run + KvmAbi.RunImmediateExit), 1);
        Libc.TgKill(Environment.ProcessId, HostTid, KvmPlatform.KickSignal);
    }

    public void Release(bool lastInAddressSpace)
    {
        _dead = true;
        Close();
        _platform.ReleaseAddressSpace(_as);
    }

    private void Close() => _platform.ReturnVcpu(new KvmPlatform.Vcpu(_vcpuFd, _run, _page));
}
