using Csrunsc.Native;

namespace Csrunsc.Sentry.Kernel.Ipc;

/// <summary>
/// One type's objects in an IPC namespace (struct ipc_ids): slots indexed 0..mni-1, ids of
/// (seq &lt;&lt; 15) + index with the sequence advanced when allocation wraps (as Linux's cyclic
/// allocation), lookup by key. Every operation on the objects runs under <see cref="Lock"/>.
/// </summary>
public sealed class IpcRegistry<T> where T : IpcObject
{
    /// <summary>IPCMNI: ids encode the slot in their low 15 bits.</summary>
    public const int IndexBits = 15;
    private const int MinCycle = 64;
    /// <summary>ipcid_seq_max(): INT_MAX >> IPCMNI_SHIFT.</summary>
    private const int SeqMax = int.MaxValue >> IndexBits;

    private T?[] _slots = new T?[16];
    private int _inUse;
    private int _lastIndex = -1;
    private ushort _seq;

    public readonly object Lock = new();

    /// <summary>Slots available (shmmni, semmni, msgmni).</summary>
    public int Mni { get; set; }

    public IpcRegistry(int mni) => Mni = mni;

    public int InUse => _inUse;

    /// <summary>Highest slot in use, or -1 (what the *_INFO commands return).</summary>
    public int MaxIndex
    {
        get
        {
            for (int i = _slots.Length - 1; i >= 0; i--)
                if (_slots[i] is not null) return i;
            return -1;
        }
    }

    public T? FindKey(int key)
    {
        foreach (var o in _slots)
            if (o is not null && o.Key == key && key != IpcObject.IPC_PRIVATE) return o;
        return null;
    }

    /// <summary>The object with this id (slot and sequence both match), or null.</summary>
    public T? FindId(int id)
    {
        if (id < 0) return null;
        int index = id & ((1 << IndexBits) - 1);
        if (index >= _slots.Length) return null;
        var o = _slots[index];
        return o is not null && o.Id == id ? o : null;
    }

    public T? AtIndex(int index) => index >= 0 && index < _slots.Length ? _slots[index] : null;

    /// <summary>Gives obj a slot and an id; false when every slot is taken (ENOSPC).</summary>
    public bool Add(T obj)
    {
        if (_inUse >= Mni) return false;
        // Linux: idr_alloc_cyclic over max(in_use * 3 / 2, 64) slots, so freed ids are not reused at once.
        int limit = Math.Min(Math.Max(_inUse * 3 / 2, MinCycle), Mni);
        int index = FreeSlot(_lastIndex + 1, limit);
        if (index < 0) index = FreeSlot(0, limit);
        if (index < 0) index = FreeSlot(0, Mni);
        if (index < 0) return false;
        if (index <= _lastIndex) _seq = (ushort)(_seq + 1 >= SeqMax ? 0 : _seq + 1);
        _lastIndex = index;
        if (index >= _slots.Length) Array.Resize(ref _slots, Math.Max(index + 1, _slots.Length * 2));
        obj.Index = index;
        obj.Seq = _seq;
        obj.Id = (_seq << IndexBits) + index;
        _slots[index] = obj;
        _inUse++;
        return true;
    }

    private int FreeSlot(int from, int limit)
    {
        for (int i = from; i < limit; i++)
            if (i >= _slots.Length || _slots[i] is null) return i;
        return -1;
    }

    public void Remove(T obj)
    {
        if (obj.Index < _slots.Length && ReferenceEquals(_slots[obj.Index], obj))
        {
            _slots[obj.Index] = null;
            _inUse--;
        }
        obj.Removed = true;
    }

    /// <summary>Objects in slot order (for /proc/sysvipc and the *_INFO totals).</summary>
    public IEnumerable<T> All()
    {
        foreach (var o in _slots)
            if (o is not null) yield return o;
    }

    /// <summary>
    /// ipcget(): the id for key with flags (IPC_CREAT, IPC_EXCL, mode bits). check validates an
    /// existing object (size, nsems: EINVAL) before the permission check; create makes a new one
    /// (or returns -errno). Runs under the lock.
    /// </summary>
    public int Get(Task t, int key, int flags, Func<T, int> check, Func<T?> createOrNull, Func<int> createError)
    {
        lock (Lock)
        {
            T? obj = key == IpcObject.IPC_PRIVATE ? null : FindKey(key);
            if (obj is null)
            {
                if (key != IpcObject.IPC_PRIVATE && (flags & IpcObject.IPC_CREAT) == 0) return -Errno.ENOENT;
                if (_inUse >= Mni) return -Errno.ENOSPC;
                int e = createError();
                if (e < 0) return e;
                var created = createOrNull();
                if (created is null) return -Errno.ENOMEM;
                created.InitOwner(t, key, (uint)flags);
                if (!Add(created)) return -Errno.ENOSPC;
                return created.Id;
            }
            if ((flags & (IpcObject.IPC_CREAT | IpcObject.IPC_EXCL)) == (IpcObject.IPC_CREAT | IpcObject.IPC_EXCL)) return -Errno.EEXIST;
            int r = check(obj);
            if (r < 0) return r;
            if (!obj.MayAccess(t, flags)) return -Errno.EACCES;
            return obj.Id;
        }
    }
}
