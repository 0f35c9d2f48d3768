using Csrunsc.Native;

namespace Csrunsc.Sentry.Kernel;

/// <summary>A guest process: its threads, parent/children links, signal dispositions and exit state.</summary>
public sealed class ThreadGroup
{
    public ThreadGroup(Kernel kernel, int tgid, ThreadGroup? parent, SignalHandlers handlers, Credentials creds)
    {
        Kernel = kernel;
        Tgid = tgid;
        Parent = parent;
        Handlers = handlers;
        Creds = creds;
        Container = parent?.Container ?? kernel.RootContainer;
        StartTimeNs = MonotonicClock.NowNs();
        ITimers = new Time.IntervalTimers(this);
        PosixTimers = new Time.PosixTimerTable(this);
    }

    public Kernel Kernel { get; }

    /// <summary>The container this process belongs to (its mount namespace, its freezer); inherited by fork.</summary>
    public Container Container { get; set; } = null!;
    public int Tgid { get; }
    public ThreadGroup? Parent { get; set; }

    /// <summary>
    /// real_parent as a thread: the parent's thread that forked this process. When that thread
    /// exits while its process lives on, a live sibling takes it over and PR_SET_PDEATHSIG fires
    /// (Linux's forget_original_parent works per thread); under lock(Parent).
    /// </summary>
    public Task? ParentTask { get; set; }
    public readonly List<ThreadGroup> Children = new();
    public readonly List<Task> Tasks = new();
    public Task Leader => Tasks.Count > 0 ? Tasks[0] : _lastLeader!;
    private Task? _lastLeader;

    public SignalHandlers Handlers { get; set; }
    public readonly PendingSignals SharedPending = new();
    public Credentials Creds { get; set; }
    public int Pgid { get; set; }
    public int Sid { get; set; }

    /// <summary>The controlling terminal (shared by the session; inherited by fork, dropped by setsid); null if none.</summary>
    public IControllingTerminal? Tty { get; set; }

    /// <summary>Whether this process leads its session (signal->leader).</summary>
    public bool IsSessionLeader => Sid == Tgid;
    public long StartTimeNs { get; }

    /// <summary>Executable name (comm, 15 chars max).</summary>
    public string Comm { get; set; } = "";

    /// <summary>Signal the parent gets on exit (SIGCHLD for fork, 0 for some clone uses).</summary>
    public int ExitSignal { get; set; } = Libc.SIGCHLD;

    /// <summary>Notified when a child exits or stops (wait4 sleeps here).</summary>
    public readonly WaitQueue ChildEvents = new();

    /// <summary>Notified when this process exits and when it is reaped (its pidfds poll on it).</summary>
    public readonly WaitQueue ExitEvents = new();

    /// <summary>Once set, every task of the group is exiting with this wait status (exit_group or fatal signal).</summary>
    public int? GroupExitStatus { get; set; }

    /// <summary>True when all tasks have exited and the group waits to be reaped by its parent.</summary>
    public bool Zombie { get; set; }

    /// <summary>Wait status (as wait4 reports it) once the group is a zombie.</summary>
    public int ExitStatus { get; set; }

    /// <summary>
    /// /proc/PID/oom_score_adj, inherited across fork. The guest's own view (as gVisor's): the host's
    /// OOM killer sees the value config.json gave every host process of the sandbox.
    /// </summary>
    public int OomScoreAdj;

    /// <summary>
    /// oom_score_adj_min: the floor an unprivileged write may lower OomScoreAdj to (a write with
    /// CAP_SYS_RESOURCE moves it). It starts at 0, or at the configured value when that is lower —
    /// as a container under runc 1.1.5 on Linux 6.18 behaves (lowering 600 to 100 succeeds there).
    /// </summary>
    public int OomScoreAdjMin;

    /// <summary>Resource limits indexed by RLIMIT_* (lock the array to read or change; see the Rlimits class).</summary>
    public readonly (ulong Cur, ulong Max)[] Rlimits = global::Csrunsc.Sentry.Kernel.Rlimits.Defaults();

    /// <summary>PR_SET_DUMPABLE (1 by default; 0 after PR_SET_DUMPABLE 0).</summary>
    public int Dumpable { get; set; } = 1;

    /// <summary>PR_SET_CHILD_SUBREAPER: orphaned descendants are re-parented here rather than to init.</summary>
    public bool IsChildSubreaper { get; set; }

    /// <summary>
    /// Yama's PR_SET_PTRACER exception, kept by the process (its leader, as Yama keys it): this
    /// tracer task's process, or a descendant of it, may attach to us although we are not its
    /// descendant. It ends when that task exits (a thread, not its process: Yama holds the task)
    /// and when a non-leader's exec ends our leader. Null with <see cref="AnyPtracer"/> false: none.
    /// </summary>
    public Task? DeclaredPtracer { get; set; }

    /// <summary>PR_SET_PTRACER_ANY: any process passing the other ptrace checks may attach.</summary>
    public bool AnyPtracer { get; set; }

    // Job control (see TaskJobControl.cs); all under lock(this).

    /// <summary>Stopped by a job-control signal (every thread has stopped): state T.</summary>
    public bool Stopped { get; set; }

    /// <summary>A group stop is under way: threads stop at their next return to user mode.</summary>
    public bool StopPending { get; set; }

    /// <summary>Threads that have reached the current group stop.</summary>
    public int StopsDone { get; set; }

    /// <summary>The signal that stopped the group (wait status and CLD_STOPPED's si_status).</summary>
    public int StopSignal { get; set; }

    /// <summary>Counts group stops begun (a traced thread takes part in each one once, see Ptrace/TaskPtraceStops.cs).</summary>
    public int StopGeneration { get; set; }

    /// <summary>A stop not yet reported by wait (WUNTRACED/WSTOPPED).</summary>
    public bool StopUnreported { get; set; }

    /// <summary>A continue not yet reported by wait (WCONTINUED).</summary>
    public bool ContinueUnreported { get; set; }

    /// <summary>The tasks this process traces (guest ptrace), exited ones until the tracer has waited for them; under Kernel.PtraceLock.</summary>
    public readonly List<Task> Tracees = new();

    /// <summary>SEM_UNDO adjustments (made on first use; shared with CLONE_SYSVSEM children), applied at exit.</summary>
    public Ipc.SemUndoList? SemUndo { get; set; }

    /// <summary>Told the wait status when the group exits (the host side of an exec'd process).</summary>
    public Action<int>? ExitObserver { get; set; }

    /// <summary>CPU time of the group's threads that have exited, in ns.</summary>
    public long ExitedUserNs, ExitedSystemNs;

    /// <summary>CPU time of reaped children and their reaped descendants (times, RUSAGE_CHILDREN), in ns.</summary>
    public long ChildrenUserNs, ChildrenSystemNs;

    /// <summary>alarm/setitimer state (kept across exec, not inherited by fork).</summary>
    public readonly Time.IntervalTimers ITimers;

    /// <summary>RLIMIT_CPU's check, made when a finite limit is first set (see <see cref="Kernel.Rlimits.ArmCpuLimit"/>).</summary>
    public Time.RlimitCpuTimer? CpuLimit;

    /// <summary>timer_create's timers (deleted at exec and exit).</summary>
    public readonly Time.PosixTimerTable PosixTimers;

    /// <summary>Notified whenever a signal is queued to the group or one of its threads (signalfd readiness).</summary>
    public readonly WaitQueue SignalQueued = new();

    public long CpuUserNs()
    {
        lock (this)
        {
            long sum = ExitedUserNs;
            foreach (var t in Tasks) sum += t.CpuUserNs();
            return sum;
        }
    }

    public long CpuSystemNs()
    {
        lock (this)
        {
            long sum = ExitedSystemNs;
            foreach (var t in Tasks) sum += t.CpuSystemNs();
            return sum;
        }
    }

    /// <summary>At reaping: the child's own and children's time becomes the parent's children time.</summary>
    public void AddReapedChild(ThreadGroup child)
    {
        long user, sys;
        lock (child)
        {
            user = child.ExitedUserNs + child.ChildrenUserNs;
            sys = child.ExitedSystemNs + child.ChildrenSystemNs;
        }
        lock (this)
        {
            ChildrenUserNs += user;
            ChildrenSystemNs += sys;
        }
    }

    public void AddTask(Task task)
    {
        lock (this)
        {
            Tasks.Add(task);
            _lastLeader ??= task;
        }
    }

    /// <summary>Removes an exited task; returns true when it was the last one.</summary>
    public bool RemoveTask(Task task)
    {
        lock (this)
        {
            if (Tasks.Remove(task))
            {
                ExitedUserNs += task.CpuUserNs();
                ExitedSystemNs += task.CpuSystemNs();
            }
            return Tasks.Count == 0;
        }
    }

    public Task[] TasksSnapshot()
    {
        lock (this) return Tasks.ToArray();
    }
}
