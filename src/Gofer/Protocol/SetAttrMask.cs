namespace Csrunsc.Gofer;

/// <summary>Which fields of a SetAttr request apply. Applied in the order uid/gid, mode, size, times.</summary>
[Flags]
public enum SetAttrMask : uint
{
    None = 0,
    Mode = 1,
    Uid = 2,
    Gid = 4,
    Size = 8,
    /// <summary>Set atime from atimeSec/atimeNsec (nsec may be UTIME_NOW or UTIME_OMIT).</summary>
    Atime = 16,
    /// <summary>Set mtime from mtimeSec/mtimeNsec (nsec may be UTIME_NOW or UTIME_OMIT).</summary>
    Mtime = 32,
}
