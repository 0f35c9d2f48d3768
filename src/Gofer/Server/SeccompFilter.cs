using System.Runtime.InteropServices;
using Csrunsc.Native;

namespace Csrunsc.Gofer.Server;

/// <summary>One classic-BPF instruction (struct sock_filter).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct SockFilter
{
    public ushort Code;
    public byte Jt;
    public byte Jf;
    public uint K;

    public SockFilter(ushort code, byte jt, byte jf, uint k)
    {
        Code = code;
        Jt = jt;
        Jf = jf;
        K = k;
    }
}

/// <summary>struct sock_fprog.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct SockFprog
{
    public ushort Len;
    public SockFilter* Filter;
}

/// <summary>
/// One condition on a syscall argument: (32-bit half of argument <see cref="Arg"/> &amp; Mask) == Value.
/// <see cref="High"/> picks the upper half (flags and modes are ints: their lower half is what the kernel reads).
/// </summary>
public readonly record struct ArgCheck(int Arg, uint Mask, uint Value, bool High = false)
{
    /// <summary>The whole 64-bit argument equals <paramref name="value"/> (two checks).</summary>
    public static ArgCheck[] Equals64(int arg, long value) =>
        [new(arg, uint.MaxValue, (uint)value), new(arg, uint.MaxValue, (uint)(value >> 32), High: true)];
}

/// <summary>
/// How one syscall is treated: allowed when <see cref="AnyOf"/> is null or any of its alternatives
/// holds (every check of it), else the filter's default errno; <see cref="Errno"/>, when set,
/// answers that errno always (clone3 → ENOSYS, so glibc falls back to clone, whose flags can be checked).
/// </summary>
public sealed record SyscallRule(string Name, int Nr, ArgCheck[][]? AnyOf = null, int? Errno = null);

/// <summary>
/// Builds and installs a seccomp-BPF allowlist: wrong architecture → kill the process; an allowed
/// syscall whose argument checks hold → allow; anything else → a chosen errno, so a missing entry
/// shows as an error instead of a crash.
/// </summary>
public static unsafe class SeccompFilter
{
    public const ushort BPF_LD_W_ABS = 0x20, BPF_JMP_JEQ_K = 0x15, BPF_JMP_JGE_K = 0x35, BPF_RET_K = 0x06, BPF_ALU_AND_K = 0x54;
    public const uint SECCOMP_RET_KILL_PROCESS = 0x80000000, SECCOMP_RET_ERRNO = 0x00050000, SECCOMP_RET_ALLOW = 0x7fff0000, SECCOMP_RET_LOG = 0x7ffc0000;
    public const uint AUDIT_ARCH_X86_64 = 0xC000003E;
    public const uint X32_SYSCALL_BIT = 0x40000000;

    /// <summary>Offsets in struct seccomp_data.</summary>
    public const uint OffsetNr = 0, OffsetArch = 4, OffsetArgs = 16;

    /// <summary>The program for <paramref name="rules"/>; syscalls not listed return <paramref name="defaultErrno"/>.</summary>
    public static SockFilter[] Build(IReadOnlyList<SyscallRule> rules, int defaultErrno) =>
        BuildWithAction(rules, SECCOMP_RET_ERRNO | (uint)defaultErrno);

    /// <summary>The program for <paramref name="rules"/>; everything else gets <paramref name="deny"/> (e.g. SECCOMP_RET_KILL_PROCESS).</summary>
    public static SockFilter[] BuildWithAction(IReadOnlyList<SyscallRule> rules, uint deny)
    {
        var prog = new List<SockFilter>(rules.Count * 2 + 8)
        {
            new(BPF_LD_W_ABS, 0, 0, OffsetArch),
            new(BPF_JMP_JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
            new(BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS),
            new(BPF_LD_W_ABS, 0, 0, OffsetNr),
            new(BPF_JMP_JGE_K, 0, 1, X32_SYSCALL_BIT),
            new(BPF_RET_K, 0, 0, deny),
        };
        foreach (var rule in rules)
        {
            var body = Body(rule, deny);
            if (body.Count > 255) throw new ArgumentException($"rule for {rule.Name} is too long for a BPF jump");
            // if (nr == N) { body: every path returns } — so A still holds nr after a miss
            prog.Add(new(BPF_JMP_JEQ_K, 0, (byte)body.Count, (uint)rule.Nr));
            prog.AddRange(body);
        }
        prog.Add(new(BPF_RET_K, 0, 0, deny));
        return [.. prog];
    }

    private static List<SockFilter> Body(SyscallRule rule, uint deny)
    {
        var body = new List<SockFilter>();
        if (rule.Errno is int errno)
        {
            body.Add(new(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | (uint)errno));
            return body;
        }
        if (rule.AnyOf is null)
        {
            body.Add(new(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW));
            return body;
        }
        foreach (var alternative in rule.AnyOf)
        {
            int length = 1 + alternative.Sum(c => c.Mask == uint.MaxValue ? 2 : 3);
            int at = 0;
            foreach (var check in alternative)
            {
                body.Add(new(BPF_LD_W_ABS, 0, 0, OffsetArgs + (uint)(8 * check.Arg) + (check.High ? 4u : 0u)));
                at++;
                if (check.Mask != uint.MaxValue)
                {
                    body.Add(new(BPF_ALU_AND_K, 0, 0, check.Mask));
                    at++;
                }
                // A miss jumps past this alternative's RET ALLOW to the next one.
                body.Add(new(BPF_JMP_JEQ_K, 0, (byte)(length - at - 1), check.Value));
                at++;
            }
            body.Add(new(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW));
        }
        body.Add(new(BPF_RET_K, 0, 0, deny));
        return body;
    }

    /// <summary>Installs <paramref name="program"/> on every thread of the process (TSYNC). Needs no_new_privs or CAP_SYS_ADMIN. 0 or -errno.</summary>
    public static int Install(SockFilter[] program)
    {
        if (program.Length > 4096) return -Errno.EINVAL;
        fixed (SockFilter* p = program)
        {
            var fprog = new SockFprog { Len = (ushort)program.Length, Filter = p };
            long r = Libc.Syscall(Libc.SYS_seccomp, Libc.SECCOMP_SET_MODE_FILTER, Libc.SECCOMP_FILTER_FLAG_TSYNC, (long)&fprog, 0, 0, 0);
            if (r < 0) return -Libc.LastErrno;
            return r == 0 ? 0 : -Errno.EBUSY; // > 0: the id of a thread that could not be synchronized
        }
    }
}
