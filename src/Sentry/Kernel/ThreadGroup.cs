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
        StartTimeNs = MonotonicClock.NowNs();
    }

    public Kernel Kernel { get; }
    public int Tgid { get; }
    public ThreadGroup? Parent { get; set; }
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

    /// <summary>Once set, every task of the group is exiting with this wait status (exit_group or fatal signal).</summary>
    public int? GroupExitStatus { get; set; }

    /// <summary>True when all tasks have exited and the group waits to be reaped by its parent.</summary>
    public bool Zombie { get; set; }

    /// <summary>Wait status (as wait4 reports it) once the group is a zombie.</summary>
    public int ExitStatus { get; set; }

    /// <summary>Stopped by a job-control signal.</summary>
    public bool Stopped { get; set; }

    public readonly Dictionary<int, (ulong Cur, ulong Max)> Rlimits = new();

    /// <summary>Told the wait status when the group exits (the host side of an exec'd process).</summary>
    public Action<int>? ExitObserver { get; set; }

    /// <summary>Accumulated CPU time of exited children (for times/getrusage), in ns.</summary>
    public long ChildrenCpuNs;

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
            Tasks.Remove(task);
            return Tasks.Count == 0;
        }
    }

    public Task[] TasksSnapshot()
    {
        lock (this) return Tasks.ToArray();
    }
}
