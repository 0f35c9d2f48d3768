namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// Where the Sentry reports events: unimplemented syscalls (always, once per number), and with
/// --strace every syscall. The sink writes them to the debug log, the runtime log or stderr.
/// </summary>
public sealed class SyscallEventLog(Action<string> sink, bool strace)
{
    private readonly bool[] _reported = new bool[1024];

    public bool Strace { get; } = strace;

    public void Unimplemented(int tid, long nr, string name)
    {
        lock (_reported)
        {
            if ((ulong)nr < (ulong)_reported.Length)
            {
                if (_reported[nr]) return;
                _reported[nr] = true;
            }
        }
        Write($"csrunsc: unimplemented syscall {nr} ({name}) by tid {tid}: ENOSYS\n");
    }

    private int _compatReported;

    /// <summary>A 32-bit entry (int 0x80, or a syscall in compatibility mode), reported once.</summary>
    public void CompatEntry(int tid)
    {
        if (Interlocked.Exchange(ref _compatReported, 1) == 0)
            Write($"csrunsc: 32-bit syscall entry (int 0x80 or compatibility mode) by tid {tid}: ENOSYS\n");
    }

    public void Write(string line) => sink(line);
}
