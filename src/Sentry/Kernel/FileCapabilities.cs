using System.Buffers.Binary;
using Csrunsc.Native;
using Csrunsc.Sentry.Vfs;

namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// File capabilities: the security.capability extended attribute (struct vfs_cap_data /
/// vfs_ns_cap_data) as get_vfs_caps_from_disk reads it. Only inodes that keep extended attributes
/// have them (tmpfs and the other in-memory filesystems); the gofer serves no extended attributes,
/// so files of the rootfs and of bind mounts never carry file capabilities here.
/// </summary>
public static class FileCapabilities
{
    public const string XattrName = "security.capability";

    public const uint RevisionMask = 0xFF000000, Revision1 = 0x01000000, Revision2 = 0x02000000, Revision3 = 0x03000000,
        FlagsEffective = 0x000001;

    /// <summary>XATTR_CAPS_SZ_1/2/3: the only sizes each revision may have.</summary>
    public const int Size1 = 12, Size2 = 20, Size3 = 24;

    /// <summary>The capabilities a file grants (fP, fI, the effective bit).</summary>
    public readonly record struct Sets(ulong Permitted, ulong Inheritable, bool Effective);

    /// <summary>
    /// Reads inode's file capabilities: 1 with sets, 0 when it has none (no attribute, a store
    /// without them, or a revision 3 attribute whose root id is not 0: it belongs to another user
    /// namespace), or -EINVAL for a malformed attribute / -ERANGE for one longer than any revision
    /// (execve fails with it, as Linux's).
    /// </summary>
    public static int Read(Inode inode, out Sets sets)
    {
        sets = default;
        var store = inode.Xattrs;
        if (store is null) return 0;
        Span<byte> buf = stackalloc byte[Size3];
        int n = store.Get(XattrName, buf, sizeOnly: false);
        if (n == -Errno.ENODATA) return 0;
        if (n < 0) return n;
        if (n < 4) return -Errno.EINVAL;
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(buf);
        int words;
        switch (magic & RevisionMask)
        {
            case Revision1: if (n != Size1) return -Errno.EINVAL; words = 1; break;
            case Revision2: if (n != Size2) return -Errno.EINVAL; words = 2; break;
            case Revision3:
                if (n != Size3) return -Errno.EINVAL;
                if (BinaryPrimitives.ReadUInt32LittleEndian(buf[20..]) != 0) return 0;
                words = 2;
                break;
            default: return -Errno.EINVAL;
        }
        ulong permitted = 0, inheritable = 0;
        for (int i = 0; i < words; i++)
        {
            permitted |= (ulong)BinaryPrimitives.ReadUInt32LittleEndian(buf[(4 + 8 * i)..]) << (32 * i);
            inheritable |= (ulong)BinaryPrimitives.ReadUInt32LittleEndian(buf[(8 + 8 * i)..]) << (32 * i);
        }
        sets = new Sets(permitted & CapabilitySets.All, inheritable & CapabilitySets.All, (magic & FlagsEffective) != 0);
        return 1;
    }

    /// <summary>
    /// What getxattr shows of a stored value (cap_inode_getsecurity): a revision 3 value with root
    /// id 0 is rewritten in place as revision 2 (its first 20 bytes); the length to show.
    /// </summary>
    public static int ForGetxattr(Span<byte> value)
    {
        if (value.Length != Size3) return value.Length;
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(value);
        if ((magic & RevisionMask) != Revision3 || BinaryPrimitives.ReadUInt32LittleEndian(value[20..]) != 0) return value.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(value, Revision2 | (magic & FlagsEffective));
        return Size2;
    }

    /// <summary>cap_convert_nscap's validheader for a value being set: a revision 2 or 3 attribute of exactly its size.</summary>
    public static bool ValidHeader(ReadOnlySpan<byte> value)
    {
        if (value.Length < 4) return false;
        uint rev = BinaryPrimitives.ReadUInt32LittleEndian(value) & RevisionMask;
        return (rev == Revision2 && value.Length == Size2) || (rev == Revision3 && value.Length == Size3);
    }
}
