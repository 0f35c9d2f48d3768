namespace Csrunsc.Sentry.Boot;

/// <summary>A mount the Sentry serves: its own filesystem (proc, tmpfs, ...) or a gofer attach point.</summary>
public sealed record SandboxMount(string Destination, string Type, string Source, bool ReadOnly, int GoferAttachIndex, string Options);

/// <summary>What the sandbox runs: the container's process and mounts, from config.json.</summary>
public sealed class SandboxOptions
{
    public required string[] Args { get; init; }
    public required string[] Env { get; init; }
    public string Cwd { get; init; } = "/";
    public uint Uid { get; init; }
    public uint Gid { get; init; }
    public uint[] AdditionalGids { get; init; } = [];
    public uint Umask { get; init; } = 0x12; // 022
    public string Hostname { get; init; } = "csrunsc";
    public bool RootReadOnly { get; init; }
    public IReadOnlyList<SandboxMount> Mounts { get; init; } = [];
    public IReadOnlyList<(int Resource, ulong Soft, ulong Hard)> Rlimits { get; init; } = [];

    /// <summary>Directory the Sentry may write its stub into and chroot to (empty but for the stub).</summary>
    public required string SandboxDir { get; init; }

    /// <summary>Confine the Sentry (chroot into SandboxDir); off only for debugging.</summary>
    public bool Confine { get; init; } = true;

    /// <summary>Log every guest syscall to the event log.</summary>
    public bool Strace { get; init; }

    /// <summary>Host fd for Sentry events (unimplemented syscalls, strace); -1 for none.</summary>
    public int EventFd { get; init; } = 2;
}
