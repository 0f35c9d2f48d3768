namespace Csrunsc.Sentry.Kernel;

/// <summary>The sandbox's pid namespace: guest pids and tids; init is pid 1.</summary>
public sealed class PidNamespace
{
    private readonly Dictionary<int, Task> _tasks = new();
    private readonly Dictionary<int, ThreadGroup> _groups = new();
    private int _last;

    public const int PidMax = 4194304;

    /// <summary>Allocates the next free id (tids and tgids share one space, as in Linux).</summary>
    public int Allocate()
    {
        lock (this)
        {
            for (int i = 0; i < PidMax; i++)
            {
                _last = _last >= PidMax - 1 ? 1 : _last + 1;
                if (!_tasks.ContainsKey(_last) && !_groups.ContainsKey(_last)) return _last;
            }
            return -1;
        }
    }

    public void AddTask(Task task)
    {
        lock (this) _tasks[task.Tid] = task;
    }

    public void RemoveTask(Task task)
    {
        // Only this task's own entry: after an exec from a non-leader thread its tid names the exec'ing task.
        lock (this)
        {
            if (_tasks.TryGetValue(task.Tid, out var t) && t == task) _tasks.Remove(task.Tid);
        }
    }

    public void AddGroup(ThreadGroup group)
    {
        lock (this) _groups[group.Tgid] = group;
    }

    /// <summary>Forgets a thread group once it has been reaped.</summary>
    public void RemoveGroup(ThreadGroup group)
    {
        lock (this)
        {
            if (!_groups.TryGetValue(group.Tgid, out var g) || g != group) return;
            _groups.Remove(group.Tgid);
        }
        group.ExitEvents.Notify(PollEvents.Hup); // its pidfds hang up
    }

    public Task? TaskById(int tid)
    {
        lock (this) return _tasks.GetValueOrDefault(tid);
    }

    public ThreadGroup? GroupById(int tgid)
    {
        lock (this) return _groups.GetValueOrDefault(tgid);
    }

    public ThreadGroup[] Groups()
    {
        lock (this) return _groups.Values.ToArray();
    }

    public int GroupCount
    {
        get { lock (this) return _groups.Count; }
    }
}
