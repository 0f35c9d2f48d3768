namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// What a task is doing right now, for `csrunsc debug ID --stacks` (the task table stands in for
/// managed stacks, which NativeAOT cannot sample): the host thread that serves it and the syscall
/// it is in, since when. Written with plain stores on the syscall path (no allocation, no lock);
/// a reader on another thread sees a consistent-enough snapshot for a debug view.
/// </summary>
public sealed partial class Task
{
    /// <summary>The host thread id of the Sentry thread running this task (0 before it starts).</summary>
    public int HostTid => _hostTid;

    /// <summary>The syscall number being handled, or -1 while the task is in the guest or between calls.</summary>
    public long CurrentSyscall = -1;

    /// <summary>Stopwatch timestamp of the current syscall's entry.</summary>
    public long CurrentSyscallSince;

    /// <summary>Guest faults handled for this task (page faults the Sentry resolved or turned into signals).</summary>
    public long Faults;
}
