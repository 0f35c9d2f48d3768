using Csrunsc.Native;

namespace Csrunsc.Gofer.Server;

/// <summary>
/// The server's fids: slot numbers into an array, reused after release. A fid's slot (and host fd)
/// lives while the client holds it or any fid walked from it does, so a parent fd is always there
/// for reopening a child.
/// </summary>
internal sealed class FidTable
{
    private FidEntry?[] _slots = new FidEntry?[64];
    private readonly Stack<int> _free = new();
    private int _used;

    /// <summary>Number of slots ever used (upper bound for scans).</summary>
    public int SlotCount => _used;

    /// <summary>Live fids, client-held or kept alive by children.</summary>
    public int LiveCount { get; private set; }

    /// <summary>Registers a new client-held fid (takes ownership of its fds) and returns its number.</summary>
    public uint Add(FidEntry e)
    {
        e.Refs = 1;
        e.ClientHeld = true;
        if (e.Parent >= 0) _slots[e.Parent]!.Refs++;
        int slot;
        if (_free.Count > 0)
        {
            slot = _free.Pop();
        }
        else
        {
            if (_used == _slots.Length) Array.Resize(ref _slots, _slots.Length * 2);
            slot = _used++;
        }
        _slots[slot] = e;
        LiveCount++;
        return (uint)slot;
    }

    /// <summary>The client-held fid, or null (unknown, or already closed by the client).</summary>
    public FidEntry? Get(uint fid)
    {
        if (fid >= (uint)_used) return null;
        var e = _slots[fid];
        return e is { ClientHeld: true } ? e : null;
    }

    /// <summary>A live slot (client-held or not), or null.</summary>
    public FidEntry? Slot(int slot) => (uint)slot < (uint)_used ? _slots[slot] : null;

    /// <summary>The client drops a fid; unknown or already closed fids are ignored.</summary>
    public void ClientRelease(uint fid)
    {
        var e = Get(fid);
        if (e is null) return;
        e.ClientHeld = false;
        Release((int)fid);
    }

    /// <summary>Moves a fid under another parent (after a rename).</summary>
    public void Reparent(int slot, int newParent, byte[] name)
    {
        var e = _slots[slot]!;
        int old = e.Parent;
        _slots[newParent]!.Refs++;
        e.Parent = newParent;
        e.Name = name;
        if (old >= 0) Release(old);
    }

    /// <summary>Closes every fd (end of session).</summary>
    public void Clear()
    {
        for (int i = 0; i < _used; i++)
        {
            if (_slots[i] is { } e) CloseFds(e);
            _slots[i] = null;
        }
        _free.Clear();
        _used = 0;
        LiveCount = 0;
    }

    private void Release(int slot)
    {
        while (slot >= 0)
        {
            var e = _slots[slot]!;
            if (--e.Refs > 0) return;
            CloseFds(e);
            _slots[slot] = null;
            _free.Push(slot);
            LiveCount--;
            slot = e.Parent;
        }
    }

    private static void CloseFds(FidEntry e)
    {
        if (e.Fd >= 0) Libc.Close(e.Fd);
        if (e.DirReadFd >= 0) Libc.Close(e.DirReadFd);
        e.Fd = e.DirReadFd = -1;
    }
}
