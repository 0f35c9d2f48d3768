using System.Buffers.Binary;

namespace Csrunsc.Sentry.Kernel.Ipc;

/// <summary>
/// What every SysV IPC object has (kern_ipc_perm): its key, id, owner and creator, mode bits and
/// the sequence number that makes a reused slot's id differ. Guarded by its registry's lock.
/// </summary>
public abstract class IpcObject
{
    public const int IPC_PRIVATE = 0;
    public const int IPC_CREAT = 0x200, IPC_EXCL = 0x400, IPC_NOWAIT = 0x800;
    public const int IPC_RMID = 0, IPC_SET = 1, IPC_STAT = 2, IPC_INFO = 3;

    /// <summary>sizeof(struct ipc64_perm) on x86-64.</summary>
    public const int PermSize = 48;

    public int Key;
    public int Id;
    public int Index;
    public ushort Seq;
    public uint Uid, Gid, Cuid, Cgid;
    /// <summary>Permission bits (low 9) plus type-specific state bits (SHM_DEST, SHM_LOCKED).</summary>
    public uint Mode;
    public long CtimeSec;

    /// <summary>Set when the object is gone from its registry: waiters answer EIDRM.</summary>
    public bool Removed;

    internal void InitOwner(Task t, int key, uint mode)
    {
        var c = t.ThreadGroup.Creds;
        Key = key;
        Uid = Cuid = c.Euid;
        Gid = Cgid = c.Egid;
        Mode = mode & 0x1FF;
        CtimeSec = NowSec();
    }

    public static long NowSec() => MonotonicClock.RealtimeNs() / 1_000_000_000;

    /// <summary>ipcperms(): does t hold the requested bits (0444 read, 0222 write, or a get's flag)?</summary>
    public bool MayAccess(Task t, int flag)
    {
        int requested = ((flag >> 6) | (flag >> 3) | flag) & 7;
        var c = t.ThreadGroup.Creds;
        uint granted = Mode;
        if (c.Euid == Cuid || c.Euid == Uid) granted >>= 6;
        else if (InGroup(c, Cgid) || InGroup(c, Gid)) granted >>= 3;
        return (requested & ~granted & 7) == 0 || Capabilities.Has(t, Capabilities.IPC_OWNER);
    }

    /// <summary>IPC_SET and IPC_RMID: the owner, the creator, or CAP_SYS_ADMIN.</summary>
    public bool MayControl(Task t)
    {
        uint euid = t.ThreadGroup.Creds.Euid;
        return euid == Uid || euid == Cuid || Capabilities.Has(t, Capabilities.SYS_ADMIN);
    }

    private static bool InGroup(Credentials c, uint gid)
    {
        if (c.Egid == gid) return true;
        foreach (uint g in c.Groups)
            if (g == gid) return true;
        return false;
    }

    /// <summary>Writes struct ipc64_perm.</summary>
    public void WritePerm(Span<byte> b)
    {
        b[..PermSize].Clear();
        BinaryPrimitives.WriteInt32LittleEndian(b, Key);
        BinaryPrimitives.WriteUInt32LittleEndian(b[4..], Uid);
        BinaryPrimitives.WriteUInt32LittleEndian(b[8..], Gid);
        BinaryPrimitives.WriteUInt32LittleEndian(b[12..], Cuid);
        BinaryPrimitives.WriteUInt32LittleEndian(b[16..], Cgid);
        BinaryPrimitives.WriteUInt32LittleEndian(b[20..], Mode);
        BinaryPrimitives.WriteUInt16LittleEndian(b[24..], Seq);
    }

    /// <summary>IPC_SET's part common to all types: uid, gid and the permission bits from an ipc64_perm.</summary>
    public void SetPerm(ReadOnlySpan<byte> b)
    {
        Uid = BinaryPrimitives.ReadUInt32LittleEndian(b[4..]);
        Gid = BinaryPrimitives.ReadUInt32LittleEndian(b[8..]);
        Mode = (Mode & ~0x1FFu) | (BinaryPrimitives.ReadUInt32LittleEndian(b[20..]) & 0x1FF);
        CtimeSec = NowSec();
    }

    /// <summary>Checks IPC_SET's new uid/gid: Linux refuses ids with no mapping (-1) with EINVAL.</summary>
    public static bool ValidPerm(ReadOnlySpan<byte> b) =>
        BinaryPrimitives.ReadUInt32LittleEndian(b[4..]) != uint.MaxValue && BinaryPrimitives.ReadUInt32LittleEndian(b[8..]) != uint.MaxValue;
}
