using Csrunsc.Native;

namespace Csrunsc.Sentry.Kernel;

/// <summary>Kernel-wide ptrace state: the lock every tracer/tracee field is under.</summary>
public sealed partial class Kernel
{
    internal readonly object PtraceLock = new();
}

/// <summary>What wait4/waitid see of a tracer's tracees (wait_task_stopped with ptrace, and traced exits).</summary>
public sealed partial class Task
{
    /// <summary>
    /// The first tracee of `me` matching pid (wait4's pid rule, on the tracee's tid) with something
    /// to report: a ptrace-stop not yet reported (whatever WSTOPPED says, as Linux), or an exit
    /// (WEXITED). Consumes it unless WNOWAIT. Returns its tid, or 0; any says a tracee matched.
    /// Traced tasks are eligible without __WALL/__WCLONE (eligible_child).
    /// </summary>
    internal static int PtraceWaitScan(ThreadGroup me, int pid, int options, bool consume,
        out int status, out int code, out int siStatus, out int uid, ref bool any)
    {
        const int WEXITED = 4;
        status = code = siStatus = uid = 0;
        var kernel = me.Kernel;
        lock (kernel.PtraceLock)
        {
            var list = me.Tracees;
            for (int i = 0; i < list.Count; i++)
            {
                var t = list[i];
                var g = t.ThreadGroup;
                bool match = pid switch
                {
                    -1 => true,
                    0 => g.Pgid == me.Pgid,
                    < -1 => g.Pgid == -pid,
                    _ => t.Tid == pid,
                };
                if (!match) continue;
                any = true;
                if (t.PtraceExitStatus is { } st)
                {
                    if ((options & WEXITED) == 0) continue;
                    status = st;
                    code = ChildCode(st);
                    siStatus = Libc.WIfExited(st) ? Libc.WExitStatus(st) : Libc.WTermSig(st);
                    uid = (int)g.Creds.Uid;
                    int tid = t.Tid;
                    if (consume) t.Unlink();
                    return tid;
                }
                if (t._ptraceStopped && t._ptraceStopUnreported)
                {
                    status = t._ptraceStopStatus;
                    code = CLD_TRAPPED;
                    siStatus = status >> 8;
                    uid = (int)g.Creds.Uid;
                    if (consume) t._ptraceStopUnreported = false;
                    return t.Tid;
                }
            }
        }
        return 0;
    }
}
