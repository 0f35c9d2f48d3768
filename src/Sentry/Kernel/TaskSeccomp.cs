using Csrunsc.Native;
using Csrunsc.Sentry.Kernel.Seccomp;
using Csrunsc.Sentry.Syscalls;

namespace Csrunsc.Sentry.Kernel;

/// <summary>The task's seccomp filters, checked before every guest syscall is dispatched.</summary>
public sealed partial class Task
{
    /// <summary>Strict mode or the stack of filters (null: none). Shared with clones, kept by execve.</summary>
    public SeccompFilterChain? Seccomp;

    private const int SysRead = 0, SysWrite = 1, SysRtSigreturn = 15, SysExit = 60;
    private const int SysSeccompCode = 1; // SYS_SECCOMP, si_code of a seccomp SIGSYS

    /// <summary>
    /// Applies the filters to one syscall: true to dispatch it; false when the filters answered
    /// (rax set, a signal queued, or the task killed).
    /// </summary>
    private bool SeccompPermits(long nr, in SyscallArguments args)
    {
        var chain = Seccomp!;
        if (chain.Mode == SeccompFilterChain.ModeStrict)
        {
            if (nr is SysRead or SysWrite or SysRtSigreturn or SysExit) return true;
            SeccompKill(Libc.SIGKILL, wholeGroup: false);
            return false;
        }
        var data = new SeccompData((int)nr, Regs.Rip, in args);
        uint ret = chain.Evaluate(in data, out bool log);
        uint action = ret & SeccompAction.ActionMask, value = ret & SeccompAction.DataMask;
        switch (action)
        {
            case SeccompAction.Allow:
                return true;
            case SeccompAction.Log:
                Kernel.Events.Write($"csrunsc: seccomp: tid {Tid} {SyscallTable.NameOf(nr)} logged\n");
                return true;
            case SeccompAction.Errno:
                Regs.Rax = unchecked((ulong)-(long)Math.Min(value, 4095u));
                if (log) Kernel.Events.Write($"csrunsc: seccomp: tid {Tid} {SyscallTable.NameOf(nr)} errno {value}\n");
                return false;
            case SeccompAction.Trace:
            case SeccompAction.UserNotif:
                // No tracer (and no listener, which is never installed): the call fails with ENOSYS.
                Regs.Rax = unchecked((ulong)-Errno.ENOSYS);
                return false;
            case SeccompAction.Trap:
                // The call is not run; rax keeps the number, as Linux's syscall_rollback.
                Regs.Rax = (ulong)nr;
                SendSignalForced(new SigInfo
                {
                    Signo = Libc.SIGSYS, Code = SysSeccompCode, Errno = (int)value, Addr = Regs.Rip,
                    Status = (int)nr, Arch = SeccompData.AuditArchX86_64,
                });
                return false;
            case SeccompAction.KillThread:
                Kernel.Events.Write($"csrunsc: seccomp: tid {Tid} killed (thread) at {SyscallTable.NameOf(nr)}\n");
                SeccompKill(Libc.SIGSYS, wholeGroup: false);
                return false;
            default:
                // KILL_PROCESS and unknown actions: the whole process dies of SIGSYS, core-dump style.
                Kernel.Events.Write($"csrunsc: seccomp: tid {Tid} killed (process) at {SyscallTable.NameOf(nr)}\n");
                SeccompKill(Libc.SIGSYS | 0x80, wholeGroup: true);
                return false;
        }
    }

    /// <summary>Ends the thread (its status is the signal) or, if it is alone or asked, the process.</summary>
    private void SeccompKill(int waitStatus, bool wholeGroup)
    {
        if (wholeGroup || ThreadGroup.Tasks.Count <= 1)
        {
            ExitGroup(waitStatus);
            return;
        }
        _exitStatus = waitStatus & 0x7f;
        Exiting = true;
    }
}
