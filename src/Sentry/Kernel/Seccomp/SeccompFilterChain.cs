namespace Csrunsc.Sentry.Kernel.Seccomp;

/// <summary>SECCOMP_RET_* actions and their precedence.</summary>
public static class SeccompAction
{
    public const uint KillProcess = 0x80000000, KillThread = 0, Trap = 0x00030000, Errno = 0x00050000,
        UserNotif = 0x7fc00000, Trace = 0x7ff00000, Log = 0x7ffc0000, Allow = 0x7fff0000;
    public const uint ActionMask = 0xffff0000, DataMask = 0x0000ffff;

    /// <summary>Linux compares actions as signed 32-bit values: the lower, the more restrictive.</summary>
    public static bool MoreRestrictive(uint a, uint b) => (int)(a & ActionMask) < (int)(b & ActionMask);
}

/// <summary>
/// A task's seccomp state, immutable and shared: the mode and the stack of filters (newest first).
/// fork/clone share it, execve keeps it, installing a filter makes a new node over the old one.
/// </summary>
public sealed class SeccompFilterChain
{
    public const int ModeStrict = 1, ModeFilter = 2;
    /// <summary>MAX_INSNS_PER_PATH: instructions over all stacked filters (each costs 4 more).</summary>
    public const int MaxTotalInstructions = 32768;

    public int Mode { get; }
    public SeccompProgram? Program { get; }
    public SeccompFilterChain? Previous { get; }
    public bool Log { get; }
    public int Count { get; }
    public int TotalInstructions { get; }

    private SeccompFilterChain(int mode, SeccompProgram? program, SeccompFilterChain? previous, bool log)
    {
        Mode = mode;
        Program = program;
        Previous = previous;
        Log = log;
        Count = (previous?.Count ?? 0) + (program is null ? 0 : 1);
        TotalInstructions = (previous?.TotalInstructions ?? 0) + (program is null ? 0 : program.Length + 4);
    }

    public static readonly SeccompFilterChain Strict = new(ModeStrict, null, null, false);

    public static SeccompFilterChain Push(SeccompFilterChain? previous, SeccompProgram program, bool log) =>
        new(ModeFilter, program, previous, log);

    /// <summary>True if <paramref name="ancestor"/> is this chain or one below it (TSYNC's condition).</summary>
    public bool Descends(SeccompFilterChain? ancestor)
    {
        if (ancestor is null) return true;
        for (var c = this; c is not null; c = c.Previous)
            if (c == ancestor) return true;
        return false;
    }

    /// <summary>Every filter runs; the most restrictive result wins (the first of equals, newest first).</summary>
    public uint Evaluate(in SeccompData data, out bool log)
    {
        uint best = SeccompAction.Allow;
        log = false;
        for (var c = this; c is not null; c = c.Previous)
        {
            if (c.Program is null) continue;
            uint r = c.Program.Evaluate(in data);
            if (SeccompAction.MoreRestrictive(r, best)) { best = r; log = c.Log; }
        }
        return best;
    }
}
