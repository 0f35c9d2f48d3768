using System.Buffers.Binary;
using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Tmpfs;
using Csrunsc.Sentry.Kernel;
using Xunit;

namespace Csrunsc.Tests.Fs;

/// <summary>security.capability as get_vfs_caps_from_disk reads it and cap_inode_getsecurity shows it (Kernel/FileCapabilities.cs).</summary>
public sealed class FileCapabilitiesTests
{
    private static byte[] Value(uint magic, ulong permitted, ulong inheritable, int size, uint rootid = 0)
    {
        var v = new byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(v, magic);
        BinaryPrimitives.WriteUInt32LittleEndian(v.AsSpan(4), (uint)permitted);
        BinaryPrimitives.WriteUInt32LittleEndian(v.AsSpan(8), (uint)inheritable);
        BinaryPrimitives.WriteUInt32LittleEndian(v.AsSpan(12), (uint)(permitted >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(v.AsSpan(16), (uint)(inheritable >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(v.AsSpan(20), rootid);
        return v[..size];
    }

    private static int Read(byte[]? value, out FileCapabilities.Sets sets)
    {
        var root = new TmpfsFileSystem().Root;
        if (value is not null) Assert.Equal(0, root.Xattrs!.Set(FileCapabilities.XattrName, value, 0));
        return FileCapabilities.Read(root, out sets);
    }

    [Fact]
    public void RevisionsAndTheirSizes()
    {
        Assert.Equal(0, Read(null, out _));
        Assert.Equal(1, Read(Value(FileCapabilities.Revision2 | FileCapabilities.FlagsEffective, 1UL << 13 | 1UL << 40, 1UL << 10, 20), out var s));
        Assert.Equal(new FileCapabilities.Sets(1UL << 13 | 1UL << 40, 1UL << 10, true), s);
        Assert.Equal(1, Read(Value(FileCapabilities.Revision1, 1UL << 13 | 1UL << 40, 0, 12), out s));
        Assert.Equal(new FileCapabilities.Sets(1UL << 13, 0, false), s); // one 32-bit word only
        Assert.Equal(1, Read(Value(FileCapabilities.Revision3, 1UL << 10, 0, 24), out s));
        Assert.Equal(0, Read(Value(FileCapabilities.Revision3, 1UL << 10, 0, 24, rootid: 1000), out _));
        Assert.Equal(-Errno.EINVAL, Read(Value(FileCapabilities.Revision2, 1, 0, 16), out _));
        Assert.Equal(-Errno.EINVAL, Read(Value(0x04000000, 1, 0, 20), out _));
        Assert.Equal(1, Read(Value(FileCapabilities.Revision2, ulong.MaxValue, 0, 20), out s));
        Assert.Equal(CapabilitySets.All, s.Permitted); // masked to the known capabilities
    }

    [Fact]
    public void HeadersAcceptedBySetxattrAndShownByGetxattr()
    {
        Assert.True(FileCapabilities.ValidHeader(Value(FileCapabilities.Revision2, 1, 0, 20)));
        Assert.True(FileCapabilities.ValidHeader(Value(FileCapabilities.Revision3, 1, 0, 24)));
        Assert.False(FileCapabilities.ValidHeader(Value(FileCapabilities.Revision1, 1, 0, 12)));
        Assert.False(FileCapabilities.ValidHeader(Value(FileCapabilities.Revision2, 1, 0, 24)));
        var v3 = Value(FileCapabilities.Revision3 | FileCapabilities.FlagsEffective, 1, 0, 24);
        Assert.Equal(20, FileCapabilities.ForGetxattr(v3));
        Assert.Equal(FileCapabilities.Revision2 | FileCapabilities.FlagsEffective, BinaryPrimitives.ReadUInt32LittleEndian(v3));
        Assert.Equal(24, FileCapabilities.ForGetxattr(Value(FileCapabilities.Revision3, 1, 0, 24, rootid: 7)));
    }
}
