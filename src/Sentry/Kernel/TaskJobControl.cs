using Csrunsc.Native;

namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// Job control as Linux has it: a stop signal whose action is the default starts a group stop;
/// every thread of the process stops at its next return to user mode (interrupting whatever it
/// blocked in), and when the last one has, the group is stopped (state T) and the parent gets
/// CLD_STOPPED. SIGCONT (Kernel.PrepareSignal) resumes them all and reports CLD_CONTINUED.
/// This is independent of the runtime's pause/resume (Kernel.Freeze), which guests cannot see.
/// </summary>
public sealed partial class Task
{
    public const int CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3, CLD_TRAPPED = 4, CLD_STOPPED = 5, CLD_CONTINUED = 6;

    public static bool IsStopSignal(int sig) => sig is Libc.SIGSTOP or Libc.SIGTSTP or Libc.SIGTTIN or Libc.SIGTTOU;

    /// <summary>A stop signal was dequeued with its default action: begin a group stop (do_signal_stop).</summary>
    private void InitiateGroupStop(int sig)
    {
        var tg = ThreadGroup;
        lock (tg)
        {
            if (tg.GroupExitStatus is not null || tg.Stopped || tg.StopPending) return;
            tg.StopPending = true;
            tg.StopSignal = sig;
            tg.StopsDone = 0;
            tg.StopGeneration++;
        }
        foreach (var t in tg.TasksSnapshot())
            if (t != this) t.Interrupt();
    }

    /// <summary>Before returning to guest code during a group stop: count in, then sleep until continued or killed.</summary>
    private void ParticipateInGroupStop()
    {
        var tg = ThreadGroup;
        lock (tg)
        {
            if (!tg.StopPending && !tg.Stopped) return;
            if (tg.StopPending) tg.StopsDone++;
        }
        Kernel.CompleteGroupStop(tg);
        lock (tg)
        {
            // A tracer attaching to a stopped task turns its stop into a ptrace group-stop (the run loop's).
            while ((tg.Stopped || tg.StopPending) && !Exiting && tg.GroupExitStatus is null && Tracer is null)
                Monitor.Wait(tg, 200);
        }
    }
}
