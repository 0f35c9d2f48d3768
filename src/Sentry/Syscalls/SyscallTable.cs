using Csrunsc.Native;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls;

/// <summary>A syscall implementation: returns the value for rax (a result or -errno).</summary>
public delegate long SyscallHandler(Task task, in SyscallArguments args);

/// <summary>How completely a syscall is implemented.</summary>
public enum SupportLevel
{
    /// <summary>Linux semantics for everything the guest can ask.</summary>
    Full,
    /// <summary>Common uses work; some flags or cases answer an error (the note says which).</summary>
    Partial,
    /// <summary>Always answers an error (ENOSYS, EPERM, ...) on purpose.</summary>
    Error,
}

public sealed record SyscallEntry(int Number, string Name, SupportLevel Level, SyscallHandler Handler, string Note);

/// <summary>
/// The declarative syscall table (x86-64 numbers → handler and support level), like gVisor's
/// linux64.go. Unlisted numbers answer ENOSYS and are reported once through the event log.
/// </summary>
public static partial class SyscallTable
{
    public const int Size = 512;

    /// <summary>Returned by handlers that have set the registers themselves (execve, rt_sigreturn, exit).</summary>
    public const long NoReturn = long.MinValue;

    private static readonly SyscallEntry?[] s_entries = new SyscallEntry?[Size];

    static SyscallTable()
    {
        RegisterAll();
    }

    public static SyscallEntry? Get(long nr) => (ulong)nr < Size ? s_entries[nr] : null;

    public static IEnumerable<SyscallEntry> All => s_entries.Where(e => e is not null)!;

    private static void Full(int nr, string name, SyscallHandler h) => Add(nr, name, SupportLevel.Full, h, "");

    private static void Partial(int nr, string name, SyscallHandler h, string note) => Add(nr, name, SupportLevel.Partial, h, note);

    /// <summary>A call deliberately refused with errno (the guest sees a clean error, not ENOSYS noise).</summary>
    private static void Error(int nr, string name, int errno, string note) =>
        Add(nr, name, SupportLevel.Error, (Task _, in SyscallArguments _) => -errno, note);

    private static void Add(int nr, string name, SupportLevel level, SyscallHandler h, string note)
    {
        if (s_entries[nr] is not null) throw new InvalidOperationException($"syscall {nr} registered twice");
        s_entries[nr] = new SyscallEntry(nr, name, level, h, note);
    }

    /// <summary>Name of a syscall number, including ones not implemented.</summary>
    public static string NameOf(long nr) => Get(nr)?.Name ?? SyscallNames.Of(nr);
}
