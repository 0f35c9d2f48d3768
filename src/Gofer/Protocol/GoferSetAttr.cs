namespace Csrunsc.Gofer;

/// <summary>A SetAttr request's fields; only those named in <see cref="Mask"/> are applied.</summary>
public struct GoferSetAttr
{
    /// <summary>utimensat's special nanosecond values.</summary>
    public const long UTIME_NOW = (1L << 30) - 1, UTIME_OMIT = (1L << 30) - 2;

    public SetAttrMask Mask;
    public uint Mode;
    public uint Uid;
    public uint Gid;
    public ulong Size;
    public long AtimeSec;
    public long AtimeNsec;
    public long MtimeSec;
    public long MtimeNsec;
}
