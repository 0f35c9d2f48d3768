using Csrunsc.Native;
using Csrunsc.Sentry.Kernel.Ipc;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Ipc;

/// <summary>What the SysV IPC calls share: the namespace of a task and the sleep/wake pattern.</summary>
internal static class IpcCommon
{
    public static IpcNamespace Ns(Task t) => t.IpcNs;

    /// <summary>0444 / 0222: the flags ipcperms() is asked with for reading and altering.</summary>
    public const int Read = 0x124, Write = 0x92;

    /// <summary>
    /// msgsnd, msgrcv, semop: a signal ends the wait with EINTR (they are never restarted after a
    /// handler, whatever SA_RESTART says), or a restart when no handler runs (ERESTARTNOHAND).
    /// </summary>
    public static int WaitResult(int r) => r == -Errno.ERESTARTSYS ? -Errno.ERESTARTNOHAND : r;
}
