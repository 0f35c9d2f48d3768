namespace Csrunsc.Sentry.Kernel;

/// <summary>What restart_syscall(2) resumes (Linux's struct restart_block).</summary>
public enum RestartKind : byte
{
    /// <summary>Nothing to resume: restart_syscall answers EINTR (do_no_restart_syscall).</summary>
    None,
    /// <summary>A relative nanosleep/clock_nanosleep on a wall clock: sleep to Deadline (monotonic ns).</summary>
    Sleep,
    /// <summary>A relative clock_nanosleep on a CPU clock: sleep until Clock reads Deadline.</summary>
    CpuSleep,
    /// <summary>poll: Addr/Count are ufds/nfds, Deadline the monotonic end (long.MaxValue for none).</summary>
    Poll,
}

/// <summary>
/// The state a syscall leaves behind when it answers -ERESTART_RESTARTBLOCK: when no handler runs
/// the guest re-enters with restart_syscall, which continues from here with the time already spent
/// taken off (a SIGSTOP/SIGCONT in the middle of a sleep resumes it, as in Linux). A handler frame
/// clears it, so a later restart_syscall answers EINTR.
/// </summary>
public struct RestartBlock
{
    public RestartKind Kind;
    public int Clock;
    public long Deadline;
    public ulong Addr;
    public ulong Count;
}
