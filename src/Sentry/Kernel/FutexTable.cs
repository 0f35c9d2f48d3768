using Csrunsc.Native;
using Csrunsc.Sentry.Memory;

namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// Futex wait queues. Like Linux, a private futex (FUTEX_PRIVATE_FLAG) or one in a private mapping
/// is keyed by (address space, address); a shared futex in a MAP_SHARED mapping by (its shared
/// pages, offset in them), so processes mapping the same file or inheriting the same shared
/// anonymous memory wake each other.
/// </summary>
public sealed class FutexTable
{
    private sealed class Waiter(Task task, uint bitset)
    {
        public readonly Task Task = task;
        public readonly uint Bitset = bitset;
        public volatile bool Woken;
    }

    private readonly Dictionary<(object, ulong), List<Waiter>> _queues = new();

    /// <summary>The queue key of the futex at addr in mm.</summary>
    public static (object, ulong) KeyFor(MemoryManager mm, ulong addr, bool isPrivate)
    {
        if (!isPrivate && mm.Find(addr) is { Pages: { } pages } vma)
            return (pages, (ulong)(vma.PageIndex(addr) * MemoryFile.PageSize) + (addr & 0xFFF));
        return (mm, addr);
    }

    /// <summary>FUTEX_WAIT: sleeps if *addr == expected. 0 when woken, -EAGAIN, -ETIMEDOUT, -ERESTARTSYS.</summary>
    public int Wait(Task t, ulong addr, uint expected, long deadlineNs, uint bitset, bool isPrivate = true)
    {
        if ((addr & 3) != 0) return -Errno.EINVAL;
        var key = KeyFor(t.Mm, addr, isPrivate);
        var w = new Waiter(t, bitset);
        lock (_queues)
        {
            if (t.ReadStruct(addr, out uint value) < 0) return -Errno.EFAULT;
            if (value != expected) return -Errno.EAGAIN;
            if (!_queues.TryGetValue(key, out var list)) _queues[key] = list = new List<Waiter>();
            list.Add(w);
        }
        int r = 0;
        while (!w.Woken)
        {
            r = t.BlockUntil(deadlineNs);
            if (r < 0) break;
        }
        if (w.Woken) return 0;
        lock (_queues)
        {
            if (_queues.TryGetValue(key, out var list))
            {
                list.Remove(w);
                if (list.Count == 0) _queues.Remove(key);
            }
        }
        return w.Woken ? 0 : r;
    }

    /// <summary>FUTEX_WAKE: wakes up to n waiters whose bitset matches; returns how many.</summary>
    public int Wake(MemoryManager mm, ulong addr, int n, uint bitset = uint.MaxValue, bool isPrivate = false)
    {
        int woken = 0;
        var key = KeyFor(mm, addr, isPrivate);
        lock (_queues)
        {
            if (!_queues.TryGetValue(key, out var list)) return 0;
            for (int i = 0; i < list.Count && woken < n;)
            {
                var w = list[i];
                if ((w.Bitset & bitset) == 0)
                {
                    i++;
                    continue;
                }
                list.RemoveAt(i);
                w.Woken = true;
                w.Task.Wake();
                woken++;
            }
            if (list.Count == 0) _queues.Remove(key);
        }
        return woken;
    }

    /// <summary>FUTEX_REQUEUE / CMP_REQUEUE: wakes n, moves up to n2 others to addr2.</summary>
    public int Requeue(Task t, ulong addr, ulong addr2, int n, int n2, uint? expected, bool isPrivate = true)
    {
        var key = KeyFor(t.Mm, addr, isPrivate);
        var key2 = KeyFor(t.Mm, addr2, isPrivate);
        lock (_queues)
        {
            if (expected is { } e)
            {
                if (t.ReadStruct(addr, out uint value) < 0) return -Errno.EFAULT;
                if (value != e) return -Errno.EAGAIN;
            }
            if (!_queues.TryGetValue(key, out var list)) return 0;
            int woken = 0;
            while (list.Count > 0 && woken < n)
            {
                var w = list[0];
                list.RemoveAt(0);
                w.Woken = true;
                w.Task.Wake();
                woken++;
            }
            int moved = 0;
            if (list.Count > 0 && n2 > 0)
            {
                if (!_queues.TryGetValue(key2, out var dst)) _queues[key2] = dst = new List<Waiter>();
                while (list.Count > 0 && moved < n2)
                {
                    dst.Add(list[0]);
                    list.RemoveAt(0);
                    moved++;
                }
            }
            if (list.Count == 0) _queues.Remove(key);
            return woken + moved;
        }
    }
}
