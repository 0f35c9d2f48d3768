using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Fs.Socket.Unix;

/// <summary>
/// struct ucred: the pid, uid and gid a message carries (SCM_CREDENTIALS) or a connection
/// remembers (SO_PEERCRED). Ids are kept raw; <see cref="Invalid"/> marks "none", which
/// SCM_CREDENTIALS shows as the overflow id (65534) and SO_PEERCRED as -1, as Linux does.
/// </summary>
public readonly record struct UnixCredentials(int Pid, uint Uid, uint Gid)
{
    public const uint Invalid = uint.MaxValue;
    private const uint OverflowId = 65534;

    /// <summary>A message sent while neither end asked for credentials.</summary>
    public static UnixCredentials None => new(0, Invalid, Invalid);

    /// <summary>The caller's pid and real ids: what a message gets when credentials are passed implicitly.</summary>
    public static UnixCredentials Real(Task t) => new(t.ThreadGroup.Tgid, t.ThreadGroup.Creds.Uid, t.ThreadGroup.Creds.Gid);

    /// <summary>The caller's pid and effective ids: SO_PEERCRED as connect/listen/socketpair record it.</summary>
    public static UnixCredentials Effective(Task t) => new(t.ThreadGroup.Tgid, t.ThreadGroup.Creds.Euid, t.ThreadGroup.Creds.Egid);

    /// <summary>The 12 bytes of struct ucred; ids munged to the overflow id when invalid (SCM_CREDENTIALS).</summary>
    public void WriteMunged(Span<byte> into) => Write(into, Uid == Invalid ? OverflowId : Uid, Gid == Invalid ? OverflowId : Gid);

    /// <summary>The 12 bytes of struct ucred with ids as stored (-1 when there are none: SO_PEERCRED).</summary>
    public void WriteRaw(Span<byte> into) => Write(into, Uid, Gid);

    private void Write(Span<byte> into, uint uid, uint gid)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(into, Pid);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(into[4..], uid);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(into[8..], gid);
    }

    public const int Size = 12;
}
