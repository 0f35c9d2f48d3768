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
/// Builds and installs a seccomp-BPF allowlist: wrong architecture → kill the process; an allowed
/// syscall number → allow (optionally only when its first argument equals a constant); anything
/// else → a chosen errno, so a missing entry shows as an error instead of a crash.
/// </summary>
public static unsafe class SeccompFilter
{
    public const ushort BPF_LD_W_ABS = 0x20, BPF_JMP_JEQ_K = 0x15, BPF_JMP_JGE_K = 0x35, BPF_RET_K = 0x06;
    public const uint SECCOMP_RET_KILL_PROCESS = 0x80000000, SECCOMP_RET_ERRNO = 0x00050000, SECCOMP_RET_ALLOW = 0x7fff0000;
    public const uint AUDIT_ARCH_X86_64 = 0xC000003E;
    public const uint X32_SYSCALL_BIT = 0x40000000;

    /// <summary>Offsets in struct seccomp_data.</summary>
    public const uint OffsetNr = 0, OffsetArch = 4, OffsetArg0Low = 16, OffsetArg0High = 20;

    /// <summary>
    /// The program for <paramref name="rules"/>: (syscall number, required value of arg0 or null).
    /// Syscalls not listed return <paramref name="defaultErrno"/>.
    /// </summary>
    public static SockFilter[] Build(IReadOnlyList<(int nr, long? arg0)> rules, int defaultErrno)
    {
        var prog = new List<SockFilter>(rules.Count * 2 + 8)
        {
            new(BPF_LD_W_ABS, 0, 0, OffsetArch),
            new(BPF_JMP_JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
            new(BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS),
            new(BPF_LD_W_ABS, 0, 0, OffsetNr),
            new(BPF_JMP_JGE_K, 0, 1, X32_SYSCALL_BIT),
            new(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | (uint)defaultErrno),
        };
        foreach (var (nr, arg0) in rules)
        {
            if (arg0 is not long value)
            {
                prog.Add(new(BPF_JMP_JEQ_K, 0, 1, (uint)nr));
                prog.Add(new(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW));
                continue;
            }
            // if (nr == N) { return arg0 == value ? allow : deny; }  — both ways return, so A still holds nr after a miss
            prog.Add(new(BPF_JMP_JEQ_K, 0, 6, (uint)nr));
            prog.Add(new(BPF_LD_W_ABS, 0, 0, OffsetArg0Low));
            prog.Add(new(BPF_JMP_JEQ_K, 0, 3, (uint)value));
            prog.Add(new(BPF_LD_W_ABS, 0, 0, OffsetArg0High));
            prog.Add(new(BPF_JMP_JEQ_K, 0, 1, (uint)(value >> 32)));
            prog.Add(new(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW));
            prog.Add(new(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | (uint)defaultErrno));
        }
        prog.Add(new(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | (uint)defaultErrno));
        return [.. prog];
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
