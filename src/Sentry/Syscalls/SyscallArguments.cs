namespace Csrunsc.Sentry.Syscalls;

/// <summary>The six syscall argument registers (rdi, rsi, rdx, r10, r8, r9).</summary>
public readonly struct SyscallArguments(ulong a0, ulong a1, ulong a2, ulong a3, ulong a4, ulong a5)
{
    public readonly ulong A0 = a0, A1 = a1, A2 = a2, A3 = a3, A4 = a4, A5 = a5;

    public int Int(int i) => (int)(i switch { 0 => A0, 1 => A1, 2 => A2, 3 => A3, 4 => A4, _ => A5 });
}
