using System.Runtime.InteropServices;
using Csrunsc.Native;

namespace Csrunsc.Sentry.Kernel.Seccomp;

/// <summary>struct sock_filter: one classic-BPF instruction.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct SockFilter(ushort Code, byte Jt, byte Jf, uint K);

/// <summary>The fields of struct seccomp_data a filter reads.</summary>
public readonly struct SeccompData(int nr, ulong ip, in Syscalls.SyscallArguments args)
{
    public const uint AuditArchX86_64 = 0xC000003E;
    public const int Size = 64;
    public readonly int Nr = nr;
    public readonly ulong Ip = ip;
    public readonly Syscalls.SyscallArguments Args = args;

    /// <summary>The 32-bit word at a (validated, aligned) offset, little-endian as on x86-64.</summary>
    public uint Word(uint off)
    {
        switch (off)
        {
            case 0: return (uint)Nr;
            case 4: return AuditArchX86_64;
            case 8: return (uint)Ip;
            case 12: return (uint)(Ip >> 32);
        }
        uint i = (off - 16) / 8;
        ulong v = i switch { 0 => Args.A0, 1 => Args.A1, 2 => Args.A2, 3 => Args.A3, 4 => Args.A4, _ => Args.A5 };
        return (off & 4) == 0 ? (uint)v : (uint)(v >> 32);
    }
}

/// <summary>
/// A validated seccomp classic-BPF program (the checks of Linux's bpf_check_classic and
/// seccomp_check_filter), evaluated by an allocation-free interpreter.
/// </summary>
public sealed class SeccompProgram
{
    public const int MaxInstructions = 4096; // BPF_MAXINSNS
    private const int MemWords = 16;         // BPF_MEMWORDS

    // Opcode parts (linux/bpf_common.h).
    private const int LD = 0, LDX = 1, ST = 2, STX = 3, ALU = 4, JMP = 5, RET = 6, MISC = 7;
    private const int W = 0, IMM = 0, ABS = 0x20, MEM = 0x60, LEN = 0x80, K = 0, X = 8, A = 0x10;
    private const int ADD = 0, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50, LSH = 0x60, RSH = 0x70,
        NEG = 0x80, XOR = 0xa0;
    private const int JA = 0, JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40;
    private const int TAX = 0, TXA = 0x80;

    private readonly SockFilter[] _insns;

    public int Length => _insns.Length;

    private SeccompProgram(SockFilter[] insns) => _insns = insns;

    /// <summary>Validates a program: null and -EINVAL if Linux would refuse it.</summary>
    public static SeccompProgram? Create(SockFilter[] insns, out int errno)
    {
        errno = -Errno.EINVAL;
        int n = insns.Length;
        if (n == 0 || n > MaxInstructions) return null;
        var prog = (SockFilter[])insns.Clone();
        for (int pc = 0; pc < n; pc++)
        {
            var f = prog[pc];
            int code = f.Code;
            switch (code)
            {
                case LD | W | ABS:
                    if ((f.K & 3) != 0 || f.K >= SeccompData.Size) return null;
                    break;
                case LD | W | LEN:
                    prog[pc] = new SockFilter(LD | IMM, 0, 0, SeccompData.Size);
                    break;
                case LDX | W | LEN:
                    prog[pc] = new SockFilter(LDX | IMM, 0, 0, SeccompData.Size);
                    break;
                case ALU | ADD | K: case ALU | ADD | X: case ALU | SUB | K: case ALU | SUB | X:
                case ALU | MUL | K: case ALU | MUL | X: case ALU | DIV | X: case ALU | AND | K: case ALU | AND | X:
                case ALU | OR | K: case ALU | OR | X: case ALU | XOR | K: case ALU | XOR | X:
                case ALU | LSH | X: case ALU | RSH | X: case ALU | NEG:
                case LD | IMM: case LDX | IMM: case MISC | TAX: case MISC | TXA:
                case RET | K: case RET | A:
                    break;
                case ALU | DIV | K:
                    if (f.K == 0) return null;
                    break;
                case ALU | LSH | K: case ALU | RSH | K:
                    if (f.K >= 32) return null;
                    break;
                case LD | MEM: case LDX | MEM: case ST: case STX:
                    if (f.K >= MemWords) return null;
                    break;
                case JMP | JA:
                    if (f.K >= (uint)(n - pc - 1)) return null;
                    break;
                case JMP | JEQ | K: case JMP | JEQ | X: case JMP | JGE | K: case JMP | JGE | X:
                case JMP | JGT | K: case JMP | JGT | X: case JMP | JSET | K: case JMP | JSET | X:
                    if (pc + 1 + f.Jt >= n || pc + 1 + f.Jf >= n) return null;
                    break;
                default:
                    return null;
            }
        }
        if ((prog[n - 1].Code & 7) != RET) return null;
        errno = 0;
        return new SeccompProgram(prog);
    }

    /// <summary>Runs the program over one syscall; the SECCOMP_RET_* value it returns.</summary>
    public uint Evaluate(in SeccompData data)
    {
        Span<uint> mem = stackalloc uint[MemWords];
        mem.Clear();
        uint a = 0, x = 0;
        var p = _insns;
        for (int pc = 0; pc < p.Length; pc++)
        {
            var f = p[pc];
            switch (f.Code)
            {
                case LD | W | ABS: a = data.Word(f.K); break;
                case LD | IMM: a = f.K; break;
                case LDX | IMM: x = f.K; break;
                case LD | MEM: a = mem[(int)f.K]; break;
                case LDX | MEM: x = mem[(int)f.K]; break;
                case ST: mem[(int)f.K] = a; break;
                case STX: mem[(int)f.K] = x; break;
                case MISC | TAX: x = a; break;
                case MISC | TXA: a = x; break;
                case ALU | ADD | K: a += f.K; break;
                case ALU | ADD | X: a += x; break;
                case ALU | SUB | K: a -= f.K; break;
                case ALU | SUB | X: a -= x; break;
                case ALU | MUL | K: a *= f.K; break;
                case ALU | MUL | X: a *= x; break;
                case ALU | DIV | K: a /= f.K; break;
                case ALU | DIV | X: if (x == 0) return 0; a /= x; break; // division by zero: the program returns 0
                case ALU | AND | K: a &= f.K; break;
                case ALU | AND | X: a &= x; break;
                case ALU | OR | K: a |= f.K; break;
                case ALU | OR | X: a |= x; break;
                case ALU | XOR | K: a ^= f.K; break;
                case ALU | XOR | X: a ^= x; break;
                case ALU | LSH | K: a <<= (int)f.K; break;
                case ALU | LSH | X: a = x >= 32 ? 0 : a << (int)x; break;
                case ALU | RSH | K: a >>= (int)f.K; break;
                case ALU | RSH | X: a = x >= 32 ? 0 : a >> (int)x; break;
                case ALU | NEG: a = (uint)-(int)a; break;
                case JMP | JA: pc += (int)f.K; break;
                case JMP | JEQ | K: pc += a == f.K ? f.Jt : f.Jf; break;
                case JMP | JEQ | X: pc += a == x ? f.Jt : f.Jf; break;
                case JMP | JGT | K: pc += a > f.K ? f.Jt : f.Jf; break;
                case JMP | JGT | X: pc += a > x ? f.Jt : f.Jf; break;
                case JMP | JGE | K: pc += a >= f.K ? f.Jt : f.Jf; break;
                case JMP | JGE | X: pc += a >= x ? f.Jt : f.Jf; break;
                case JMP | JSET | K: pc += (a & f.K) != 0 ? f.Jt : f.Jf; break;
                case JMP | JSET | X: pc += (a & x) != 0 ? f.Jt : f.Jf; break;
                case RET | K: return f.K;
                case RET | A: return a;
            }
        }
        return 0; // unreachable: validation requires a final RET
    }
}
