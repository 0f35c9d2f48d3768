using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Syscalls.File;
using Csrunsc.Sentry.Syscalls.Time;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Signal;

/// <summary>
/// restart_syscall(2): the signal code re-enters a syscall that answered -ERESTART_RESTARTBLOCK
/// through this number when no handler ran; it continues from <see cref="Task.Restart"/>, which
/// the interrupted syscall filled. Nothing recorded (the guest calling it itself, or after a
/// handler): EINTR, as do_no_restart_syscall.
/// </summary>
internal static class SysRestart
{
    public static long RestartSyscall(Task t, in SyscallArguments a)
    {
        RestartBlock rb = t.Restart;
        t.Restart.Kind = RestartKind.None;
        return rb.Kind switch
        {
            RestartKind.Sleep or RestartKind.CpuSleep => SysTime.ResumeSleep(t, in rb),
            RestartKind.Poll => SysPoll.ResumePoll(t, in rb),
            _ => -Errno.EINTR,
        };
    }
}
