using Csrunsc.Sentry.Syscalls.Strace;

namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// Where the Sentry reports events: unimplemented syscalls (always, once per number), the exit
/// summary, and with --strace every syscall. The sink writes them to the debug log, the runtime
/// log or stderr.
/// </summary>
public sealed class SyscallEventLog
{
    private readonly bool[] _reported = new bool[1024];
    private readonly Action<string> _sink;

    /// <param name="straceOnly">--strace-syscalls: the names to trace (null or empty: all).</param>
    public SyscallEventLog(Action<string> sink, bool strace, IReadOnlyCollection<string>? straceOnly = null)
    {
        _sink = sink;
        Strace = strace;
        if (strace) Tracer = new SyscallTracer(sink, straceOnly);
    }

    /// <summary>The one flag the syscall path tests; everything strace does is behind it.</summary>
    public bool Strace { get; }

    /// <summary>Non-null exactly when <see cref="Strace"/> is set.</summary>
    public SyscallTracer? Tracer { get; }

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

    public void Write(string line) => _sink(line);
}
