using Csrunsc.Native;

namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// Where the Sentry reports events: unimplemented syscalls (always, once per number), and with
/// --strace every syscall. Lines go to a host fd (the debug log, or stderr).
/// </summary>
public sealed class SyscallEventLog(int fd, bool strace)
{
    private readonly bool[] _reported = new bool[1024];

    public int Fd { get; } = fd;
    public bool Strace { get; } = strace;

    public void Unimplemented(int tid, long nr, string name)
    {
        if ((ulong)nr < (ulong)_reported.Length)
        {
            if (_reported[nr]) return;
            _reported[nr] = true;
        }
        Write($"csrunsc: unimplemented syscall {nr} ({name}) by tid {tid}: ENOSYS\n");
    }

    public void Write(string line)
    {
        if (Fd >= 0) Libc.WriteString(Fd, line);
    }
}
