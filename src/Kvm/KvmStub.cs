using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Csrunsc.Kvm;

/// <summary>
/// The guest-side code of the KVM platform, assembled with Iced at start-up. Two pieces:
/// <list type="bullet">
/// <item>the entry page, a user page at <see cref="EntryVa"/> (LSTAR points here: on this host a
/// CPL3 `syscall` lands on LSTAR still at CPL3): `out 0x10, al` (the syscall exit), then `ud2`,
/// where the host resumes a guest that must pass through CPL0 first;</item>
/// <item>the exception vectors (CPL0, supervisor pages in the upper half): each pushes its error
/// code (or 0) and vector, then the common tail stores the page-table updates the host listed in
/// the vCPU's page (guest stores are the only ones the shadow MMU tracks), reloads CR3 if there
/// were any, and exits with `out 0x11, al`; the host then writes the return frame and resumes at
/// <see cref="ResumeVa"/> (`add rsp, 16; iretq`).</item>
/// </list>
/// Every general register but rsp/rip/rflags is the guest's at both exits.
/// </summary>
internal sealed class KvmStub
{
    /// <summary>The entry page's address in every guest address space (just above the guest's range).</summary>
    public const ulong EntryVa = 0x7ff0_0000_0000;
    public const ulong TransitRip = EntryVa + 2;
    public const ushort SyscallPort = 0x10, TrapPort = 0x11;

    /// <summary>In each vCPU's page: the count of pending (address, value) stores, then the pairs.</summary>
    public const int BufCount = 0x100, BufPairs = 0x108, MaxPairs = 200;

    public byte[] EntryPage { get; } = new byte[4096];
    public byte[] KernelCode { get; }
    public ulong[] Vectors { get; } = new ulong[32];
    public ulong CommonVa { get; }
    public ulong ResumeVa { get; }

    /// <summary>Vectors that push an error code.</summary>
    private static bool HasErrorCode(int v) => v is 8 or 10 or 11 or 12 or 13 or 14 or 17 or 21 or 29 or 30;

    public KvmStub(ulong kernelCodeVa)
    {
        // Entry page: out 0x10, al ; ud2
        EntryPage[0] = 0xE6; EntryPage[1] = (byte)SyscallPort;
        EntryPage[2] = 0x0F; EntryPage[3] = 0x0B;

        var a = new Assembler(64);
        var vec = new Label[32];
        Label common = a.CreateLabel(), loop = a.CreateLabel(), noFlush = a.CreateLabel(), resume = a.CreateLabel();
        for (int v = 0; v < 32; v++)
        {
            vec[v] = a.CreateLabel();
            a.Label(ref vec[v]);
            if (!HasErrorCode(v)) a.push(0);
            a.push(v);
            a.jmp(common);
        }
        a.Label(ref common);
        a.push(rax);
        a.push(rcx);
        a.push(rsi);
        a.push(rdi);
        a.mov(rsi, rsp);
        a.and(rsi, -4096);
        a.mov(rcx, __qword_ptr[rsi + BufCount]);
        a.test(rcx, rcx);
        a.jz(noFlush);
        a.add(rsi, BufPairs);
        a.Label(ref loop);
        a.mov(rdi, __qword_ptr[rsi]);
        a.mov(rax, __qword_ptr[rsi + 8]);
        a.mov(__qword_ptr[rdi], rax);
        a.add(rsi, 16);
        a.dec(rcx);
        a.jnz(loop);
        a.mov(rsi, rsp);
        a.and(rsi, -4096);
        a.mov(__qword_ptr[rsi + BufCount], 0);
        a.mov(rax, cr3);
        a.mov(cr3, rax);
        a.Label(ref noFlush);
        a.pop(rdi);
        a.pop(rsi);
        a.pop(rcx);
        a.pop(rax);
        a.@out((byte)TrapPort, al);
        a.Label(ref resume);
        a.add(rsp, 16);
        a.iretq();

        var stream = new MemoryStream();
        var result = a.Assemble(new StreamCodeWriter(stream), kernelCodeVa, BlockEncoderOptions.ReturnNewInstructionOffsets);
        KernelCode = stream.ToArray();
        if (KernelCode.Length > 4096) throw new InvalidOperationException("KVM stub larger than a page");
        for (int v = 0; v < 32; v++) Vectors[v] = result.GetLabelRIP(vec[v]);
        CommonVa = result.GetLabelRIP(common);
        ResumeVa = result.GetLabelRIP(resume);
    }
}
