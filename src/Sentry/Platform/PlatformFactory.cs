using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Memory;

namespace Csrunsc.Sentry.Platform;

/// <summary>
/// Builds a platform other than ptrace (the KVM platform lives in its own assembly above the
/// Sentry). Called before the Sentry confines itself, with the memory file guest memory lives in
/// and the event log; returns null with a one-line error when the platform cannot run.
/// </summary>
public delegate IPlatform? PlatformFactory(MemoryFile memory, SyscallEventLog events, out string? error);
