using System.Runtime.InteropServices;

namespace Csrunsc.Kvm;

/// <summary>The parts of the KVM ioctl ABI (linux/kvm.h, x86-64) the platform uses.</summary>
internal static unsafe partial class KvmAbi
{
    public const ulong KVM_GET_API_VERSION = 0xAE00, KVM_CREATE_VM = 0xAE01, KVM_CHECK_EXTENSION = 0xAE03,
        KVM_GET_VCPU_MMAP_SIZE = 0xAE04, KVM_GET_SUPPORTED_CPUID = 0xC008AE05, KVM_CREATE_VCPU = 0xAE41,
        KVM_SET_USER_MEMORY_REGION = 0x4020AE46, KVM_RUN = 0xAE80, KVM_GET_REGS = 0x8090AE81, KVM_SET_REGS = 0x4090AE82,
        KVM_GET_SREGS = 0x8138AE83, KVM_SET_SREGS = 0x4138AE84, KVM_SET_MSRS = 0x4008AE89, KVM_SET_SIGNAL_MASK = 0x4004AE8B,
        KVM_SET_CPUID2 = 0x4008AE90, KVM_GET_XSAVE = 0x9000AEA4, KVM_SET_XSAVE = 0x5000AEA5;

    public const int KVM_CAP_USER_MEMORY = 3, KVM_CAP_EXT_CPUID = 7, KVM_CAP_IMMEDIATE_EXIT = 136, KVM_CAP_SYNC_REGS = 74,
        KVM_CAP_XSAVE = 55;

    public const uint KVM_EXIT_IO = 2, KVM_EXIT_HLT = 5, KVM_EXIT_SHUTDOWN = 8, KVM_EXIT_FAIL_ENTRY = 9, KVM_EXIT_INTERNAL_ERROR = 17;
    public const ulong KVM_SYNC_X86_REGS = 1, KVM_SYNC_X86_SREGS = 2;

    public const uint MSR_STAR = 0xC0000081, MSR_LSTAR = 0xC0000082, MSR_FMASK = 0xC0000084;

    // struct kvm_run offsets.
    public const int RunImmediateExit = 1, RunExitReason = 8, RunIoPort = 34, RunValidRegs = 288, RunDirtyRegs = 296,
        RunRegs = 304, RunSregs = 448;

    public const int XsaveSize = 4096;
}

/// <summary>struct kvm_regs.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmRegs
{
    public ulong Rax, Rbx, Rcx, Rdx, Rsi, Rdi, Rsp, Rbp, R8, R9, R10, R11, R12, R13, R14, R15, Rip, Rflags;
}

/// <summary>struct kvm_segment (24 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmSegment
{
    public ulong Base;
    public uint Limit;
    public ushort Selector;
    public byte Type, Present, Dpl, Db, S, L, G, Avl, Unusable, Padding;
}

/// <summary>struct kvm_dtable (16 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmDtable
{
    public ulong Base;
    public ushort Limit;
    public ushort P0, P1, P2;
}

/// <summary>struct kvm_sregs (312 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct KvmSregs
{
    public KvmSegment Cs, Ds, Es, Fs, Gs, Ss, Tr, Ldt;
    public KvmDtable Gdt, Idt;
    public ulong Cr0, Cr2, Cr3, Cr4, Cr8, Efer, ApicBase;
    public fixed ulong InterruptBitmap[4];
}

/// <summary>struct kvm_userspace_memory_region.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmMemoryRegion
{
    public uint Slot, Flags;
    public ulong GuestPhysAddr, MemorySize, UserspaceAddr;
}
