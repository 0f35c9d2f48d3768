using System.Buffers.Binary;

namespace Csrunsc.Sentry.Platform.Ptrace;

/// <summary>
/// The stub's seccomp program. Guest syscalls never reach it (under PTRACE_SYSEMU they stop in the
/// tracer first), so it sees only what the Sentry injects and the kernel's vsyscall emulation:
/// - mmap only of the memory file (fd 3) with MAP_SHARED|MAP_FIXED; clone only of a thread with the
///   Sentry's flag set; munmap, exit, pause. No kill/tgkill at all: the stub stops itself with int3.
/// - gettimeofday/time/getcpu from the vsyscall page (the host kernel emulates a call there and
///   asks seccomp): SECCOMP_RET_TRAP, so the stub stops with SIGSYS and the Sentry answers the call.
/// - anything else, or another architecture: kill the stub.
/// </summary>
internal static class StubFilter
{
    private const ushort LdAbs = 0x20, JeqK = 0x15, JgeK = 0x35, RetK = 0x06;
    private const uint Kill = 0x80000000, Trap = 0x00030000, Allow = 0x7fff0000, AuditArchX86_64 = 0xC000003E;
    private const uint OffNr = 0, OffArch = 4, OffIpLow = 8, OffIpHigh = 12;
    private static uint ArgLow(int i) => (uint)(16 + 8 * i);

    public const int SYS_mmap = 9, SYS_munmap = 11, SYS_pause = 34, SYS_clone = 56, SYS_exit = 60,
        SYS_gettimeofday = 96, SYS_time = 201, SYS_getcpu = 309;
    private const uint MapSharedFixed = 0x01 | 0x10;
    public const ulong VsyscallBase = 0xffff_ffff_ff60_0000, VsyscallEnd = VsyscallBase + 0x1000;

    /// <summary>The program as struct sock_filter bytes; count = number of instructions.</summary>
    public static byte[] Build(uint memoryFileFd, uint cloneFlags, out ushort count)
    {
        var b = new Builder();
        b.Ld(OffArch); b.Jeq(AuditArchX86_64, null, "kill");
        b.Ld(OffNr);
        b.Jeq(SYS_mmap, null, "not-mmap");
        b.Ld(ArgLow(4)); b.Jeq(memoryFileFd, null, "kill");
        b.Ld(ArgLow(3)); b.Jeq(MapSharedFixed, "allow", "kill");
        b.Label("not-mmap");
        b.Jeq(SYS_clone, null, "not-clone");
        b.Ld(ArgLow(0)); b.Jeq(cloneFlags, "allow", "kill");
        b.Label("not-clone");
        b.Jeq(SYS_munmap, "allow", null);
        b.Jeq(SYS_exit, "allow", null);
        b.Jeq(SYS_pause, "allow", null);
        b.Jeq(SYS_gettimeofday, "vsyscall", null);
        b.Jeq(SYS_time, "vsyscall", null);
        b.Jeq(SYS_getcpu, "vsyscall", "kill");
        b.Label("vsyscall");
        b.Ld(OffIpHigh); b.Jeq((uint)(VsyscallBase >> 32), null, "kill");
        b.Ld(OffIpLow); b.Jge(unchecked((uint)VsyscallBase), null, "kill");
        b.Jge(unchecked((uint)VsyscallEnd), "kill", null);
        b.Ret(Trap);
        b.Label("kill"); b.Ret(Kill);
        b.Label("allow"); b.Ret(Allow);
        return b.Assemble(out count);
    }

    /// <summary>A few classic-BPF instructions with forward jumps to named labels.</summary>
    private sealed class Builder
    {
        private readonly List<(ushort Code, string? Jt, string? Jf, uint K)> _code = [];
        private readonly Dictionary<string, int> _labels = [];

        public void Ld(uint offset) => _code.Add((LdAbs, null, null, offset));
        public void Jeq(uint k, string? jt, string? jf) => _code.Add((JeqK, jt, jf, k));
        public void Jge(uint k, string? jt, string? jf) => _code.Add((JgeK, jt, jf, k));
        public void Ret(uint k) => _code.Add((RetK, null, null, k));
        public void Label(string name) => _labels.Add(name, _code.Count);

        public byte[] Assemble(out ushort count)
        {
            var bytes = new byte[_code.Count * 8];
            for (int i = 0; i < _code.Count; i++)
            {
                var (code, jt, jf, k) = _code[i];
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 8), code);
                bytes[i * 8 + 2] = Offset(i, jt);
                bytes[i * 8 + 3] = Offset(i, jf);
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 8 + 4), k);
            }
            count = (ushort)_code.Count;
            return bytes;
        }

        private byte Offset(int from, string? label)
        {
            if (label is null) return 0;
            int d = _labels[label] - from - 1;
            if (d < 0 || d > 255) throw new InvalidOperationException("stub filter jump out of range: " + label);
            return (byte)d;
        }
    }
}
