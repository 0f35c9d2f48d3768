using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Csrunsc.Sentry.Platform.Ptrace;

/// <summary>
/// The stub program, assembled with Iced into a minimal static ELF. A stub only ever executes guest
/// code and the host syscalls the Sentry injects. On start it asks to be traced, unmaps everything
/// but itself (stack, vDSO) so the whole range below it belongs to the guest, and stops.
/// </summary>
public sealed class StubImage
{
    /// <summary>Where the stub's single page lives; the guest owns [MinUserAddress, Base).</summary>
    public const ulong Base = 0x7ff0_0000_0000;
    public const ulong Size = 0x1000;
    public const ulong TaskSize = 0x7fff_ffff_f000;
    private const int CodeOffset = 0x80;

    /// <summary>The fd number at which every stub holds the memory file.</summary>
    public const int MemoryFileFd = 3;

    private const int SYS_munmap = 11, SYS_ptrace = 101, SYS_pause = 34, SYS_prctl = 157, SYS_seccomp = 317;

    /// <summary>The only clone the Sentry injects: a thread in the same address space.</summary>
    public const ulong CloneThreadFlags = 0x00000100 /*VM*/ | 0x00000200 /*FS*/ | 0x00000400 /*FILES*/ |
        0x00000800 /*SIGHAND*/ | 0x00010000 /*THREAD*/ | 0x00040000 /*SYSVSEM*/;

    // Where the seccomp program and its sock_fprog live in the stub's page.
    private const int FilterOffset = 0x800, FprogOffset = 0x7F0;

    public byte[] Elf { get; }

    /// <summary>`syscall; int3`: injected host syscalls run here and trap back.</summary>
    public ulong SyscallSite { get; }

    /// <summary>`syscall` for clone: the parent traps back; the new thread waits in pause() until its task attaches it.</summary>
    public ulong CloneSite { get; }

    /// <summary>`pause` forever: where a detached thread-group leader waits for the process to end.</summary>
    public ulong ParkSite { get; }

    public StubImage()
    {
        var a = new Assembler(64);
        Label syscallSite = a.CreateLabel(), cloneSite = a.CreateLabel(), child = a.CreateLabel(),
            parent = a.CreateLabel(), park = a.CreateLabel();

        // ptrace(PTRACE_TRACEME, 0, 0, 0)
        a.mov(eax, SYS_ptrace);
        a.xor(edi, edi);
        a.xor(esi, esi);
        a.xor(edx, edx);
        a.xor(r10d, r10d);
        a.syscall();
        // munmap(0, Base): the host stack and vDSO go; the guest owns everything below the stub.
        a.mov(eax, SYS_munmap);
        a.xor(edi, edi);
        a.mov(rsi, Base);
        a.syscall();
        // munmap(Base + Size, TaskSize - Base - Size)
        a.mov(eax, SYS_munmap);
        a.mov(rdi, Base + Size);
        a.mov(rsi, TaskSize - Base - Size);
        a.syscall();
        // Seccomp: from here on the host kernel runs nothing for this process but what the Sentry
        // injects (guest syscalls stop in the tracer under SYSEMU before seccomp is consulted).
        Label filtered = a.CreateLabel();
        a.mov(eax, SYS_prctl);
        a.mov(edi, 38); // PR_SET_NO_NEW_PRIVS
        a.mov(esi, 1);
        a.xor(edx, edx);
        a.xor(r10d, r10d);
        a.xor(r8d, r8d);
        a.syscall();
        a.mov(eax, SYS_seccomp);
        a.mov(edi, 1); // SECCOMP_SET_MODE_FILTER
        a.xor(esi, esi);
        a.mov(rdx, Base + FprogOffset);
        a.syscall();
        a.test(rax, rax);
        a.jz(filtered);
        a.ud2(); // fail closed: no stub runs unfiltered
        a.Label(ref filtered);
        // int3: a traced process stops for its tracer with SIGTRAP; the tracer takes over from here
        // (no kill() needed, so the filter allows none).
        a.int3();
        a.ud2();

        a.Label(ref syscallSite);
        a.syscall();
        a.int3();
        a.ud2();

        a.Label(ref cloneSite);
        a.syscall();
        a.test(rax, rax);
        a.jnz(parent);
        // The new thread blocks in pause() (spinning would steal the CPU its tracer-to-be needs);
        // PTRACE_INTERRUPT takes it out, and the Sentry replaces every register, rax included.
        a.Label(ref child);
        a.mov(eax, SYS_pause);
        a.syscall();
        a.jmp(child);
        a.Label(ref parent);
        a.int3();
        a.ud2();

        a.Label(ref park);
        a.mov(eax, SYS_pause);
        a.syscall();
        a.jmp(park);

        var stream = new MemoryStream();
        ulong codeBase = Base + CodeOffset;
        var result = a.Assemble(new StreamCodeWriter(stream), codeBase, BlockEncoderOptions.ReturnNewInstructionOffsets);
        SyscallSite = result.GetLabelRIP(syscallSite);
        CloneSite = result.GetLabelRIP(cloneSite);
        ParkSite = result.GetLabelRIP(park);
        Elf = BuildElf(stream.ToArray(), codeBase);
    }

    private static byte[] BuildElf(byte[] code, ulong entry)
    {
        if (CodeOffset + code.Length > FprogOffset) throw new InvalidOperationException("stub code overlaps its data");
        var elf = new byte[(int)Size];
        byte[] filter = StubFilter.Build(MemoryFileFd, (uint)CloneThreadFlags, out ushort count);
        filter.CopyTo(elf, FilterOffset);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(FprogOffset), count);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(elf.AsSpan(FprogOffset + 8), Base + FilterOffset);
        var w = new BinaryWriter(new MemoryStream(elf));
        // ELF header
        w.Write(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0 });
        w.Write(0UL);
        w.Write((ushort)2);      // ET_EXEC
        w.Write((ushort)62);     // EM_X86_64
        w.Write(1u);             // EV_CURRENT
        w.Write(entry);
        w.Write(64UL);           // e_phoff
        w.Write(0UL);            // e_shoff
        w.Write(0u);             // e_flags
        w.Write((ushort)64);     // e_ehsize
        w.Write((ushort)56);     // e_phentsize
        w.Write((ushort)1);      // e_phnum
        w.Write((ushort)0);
        w.Write((ushort)0);
        w.Write((ushort)0);
        // PT_LOAD, R+X, the whole file at Base
        w.Write(1u);
        w.Write(5u);
        w.Write(0UL);
        w.Write(Base);
        w.Write(Base);
        w.Write((ulong)elf.Length);
        w.Write((ulong)elf.Length);
        w.Write(0x1000UL);
        Array.Copy(code, 0, elf, CodeOffset, code.Length);
        return elf;
    }
}
