namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// Tasks waiting for an object's state to change (pipe data, child exit, futex, ...).
/// Pattern: Subscribe, check the condition, <see cref="Task.Block"/>, re-check, Unsubscribe.
/// Subscribing before checking means a Notify between the check and the sleep is not lost.
/// </summary>
public sealed class WaitQueue
{
    private Task[] _waiters = new Task[4];
    private int _count;

    public void Subscribe(Task task)
    {
        lock (this)
        {
            if (_count == _waiters.Length) Array.Resize(ref _waiters, _count * 2);
            _waiters[_count++] = task;
        }
    }

    public void Unsubscribe(Task task)
    {
        lock (this)
        {
            for (int i = 0; i < _count; i++)
            {
                if (_waiters[i] == task)
                {
                    _waiters[i] = _waiters[--_count];
                    _waiters[_count] = null!;
                    return;
                }
            }
        }
    }

    /// <summary>Wakes every subscribed task; each re-checks its own condition.</summary>
    public void Notify()
    {
        lock (this)
        {
            for (int i = 0; i < _count; i++) _waiters[i].Wake();
        }
    }

    public bool HasWaiters
    {
        get { lock (this) return _count > 0; }
    }
}
