using Csrunsc.Native;

namespace Csrunsc.Sentry.Vfs;

/// <summary>A chmod/chown/truncate/utimes request; Mask says which fields apply.</summary>
public struct SetAttrRequest
{
    public const uint ModeBit = 1, UidBit = 2, GidBit = 4, SizeBit = 8, AtimeBit = 16, MtimeBit = 32;
    /// <summary>utimensat special nanosecond values.</summary>
    public const long UtimeNow = (1L << 30) - 1, UtimeOmit = (1L << 30) - 2;

    public uint Mask;
    public uint Mode;
    public uint Uid;
    public uint Gid;
    public long Size;
    public Timespec Atime;
    public Timespec Mtime;
}
