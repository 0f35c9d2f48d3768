using System.Text;
using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Gofer;
using Csrunsc.Sentry.Vfs;
using Csrunsc.Tests.Gofer;
using Xunit;

namespace Csrunsc.Tests.Fs;

public class GoferFsTests
{
    [Fact]
    public void WalkReadWriteCreateAndStat()
    {
        using var host = new GoferTestHost();
        Directory.CreateDirectory(host.HostPath("etc"));
        File.WriteAllText(host.HostPath("etc/hostname"), "box\n");
        File.CreateSymbolicLink(host.HostPath("link"), "etc/hostname");
        var fs = new GoferFileSystem(host.Client, 0, readOnly: false);

        Assert.Equal(0, fs.Root.Lookup("etc", out Inode? etc));
        Assert.True(etc!.IsDirectory);
        Assert.Equal(0, etc.Lookup("hostname", out Inode? hn));
        Assert.Equal(0, hn!.Open(Libc.O_RDONLY, out FileDescription? f));
        var buf = new byte[16];
        Assert.Equal(4, f!.Read(null!, buf, -1));
        Assert.Equal("box\n", Encoding.ASCII.GetString(buf, 0, 4));
        f.GetStat(out StatBuf st);
        Assert.Equal(fs.Dev, st.Dev);
        Assert.Equal(4, st.Size);
        f.DecRef();

        Assert.Equal(0, fs.Root.Lookup("link", out Inode? link));
        Assert.True(link!.IsSymlink);
        Assert.Equal(0, link.ReadLink(out string? target));
        Assert.Equal("etc/hostname", target);

        Assert.Equal(0, fs.Root.Create("new", Libc.O_RDWR, 0x1A4, 0xFFFFFFFF, 0xFFFFFFFF, out Inode? created, out FileDescription? nf));
        Assert.Equal(6, nf!.Write(null!, "hello\n"u8, -1));
        Assert.Equal(0, created!.GetStat(out st));
        Assert.Equal(6, st.Size);
        nf.DecRef();
        Assert.Equal("hello\n", File.ReadAllText(host.HostPath("new")));

        var names = new List<DirEntry>();
        Assert.Equal(0, fs.Root.ReadDir(names));
        Assert.Equal(["etc", "link", "new"], names.Select(e => e.Name).Order().ToArray());

        Assert.Equal(0, fs.Root.Mkdir("d", 0x1ED, 0xFFFFFFFF, 0xFFFFFFFF));
        Assert.Equal(0, fs.Root.Rename("new", fs.Root.Lookup("d", out Inode? d) == 0 ? d! : null!, "moved"));
        Assert.True(File.Exists(host.HostPath("d/moved")));
        Assert.Equal(-Errno.ENOENT, fs.Root.Lookup("new", out _));
        Assert.Equal(-Errno.ENOTEMPTY, fs.Root.Unlink("d", dir: true));
        Assert.Equal(0, d!.Unlink("moved", dir: false));
        Assert.Equal(0, fs.Root.Unlink("d", dir: true));

        Assert.Equal(0, hn.SetAttr(new SetAttrRequest { Mask = SetAttrRequest.SizeBit, Size = 1 }));
        hn.GetStat(out st);
        Assert.Equal(1, st.Size);
    }

    [Fact]
    public void ReadOnlyRefusesMutations()
    {
        using var host = new GoferTestHost(rootReadOnly: true);
        File.WriteAllText(host.HostPath("f"), "x");
        var fs = new GoferFileSystem(host.Client, 0, readOnly: true);
        Assert.Equal(0, fs.Root.Lookup("f", out Inode? f));
        Assert.Equal(-Errno.EROFS, f!.Open(Libc.O_WRONLY, out _));
        Assert.Equal(-Errno.EROFS, fs.Root.Unlink("f", false));
        Assert.Equal(-Errno.EROFS, fs.Root.Create("g", Libc.O_RDWR, 0x1A4, 0, 0, out _, out _));
    }
}

/// <summary>A user namespace's id maps at the gofer boundary: host ids in stat become container ids (65534 unmapped), creates and chowns go out as host ids.</summary>
public class GoferFsIdMapTests
{
    private static readonly Csrunsc.Sentry.Kernel.UserNamespaceMap Users = new(
        new Csrunsc.Sentry.Kernel.IdMap([new(0, 100000, 65536)]), new Csrunsc.Sentry.Kernel.IdMap([new(0, 200000, 65536)]), isNew: true);

    private static (uint Uid, uint Gid) HostOwner(string path)
    {
        var parts = Differential.HostCommand.Run("stat", "-c", "%u %g", path).Trim().Split(' ');
        return (uint.Parse(parts[0]), uint.Parse(parts[1]));
    }

    [Differential.RootRequiredFact] // chown of host files needs root
    public void OwnershipIsTranslatedBothWays()
    {
        using var host = new GoferTestHost();
        File.WriteAllText(host.HostPath("mapped"), "m");
        File.WriteAllText(host.HostPath("unmapped"), "u");
        Differential.HostCommand.Run("chown", "100005:200006", host.HostPath("mapped"));
        Differential.HostCommand.Run("chown", "0:200001", host.HostPath("unmapped"));
        var fs = new GoferFileSystem(host.Client, 0, readOnly: false, Users);

        Assert.Equal(0, fs.Root.Lookup("mapped", out Inode? mapped));
        mapped!.GetStat(out StatBuf st);
        Assert.Equal((5u, 6u), (st.Uid, st.Gid));
        Assert.True(mapped.OwnerMapped);
        Assert.True(mapped.IsOwnedBy(5, in st));

        Assert.Equal(0, fs.Root.Lookup("unmapped", out Inode? unmapped));
        unmapped!.GetStat(out st);
        Assert.Equal((65534u, 1u), (st.Uid, st.Gid));
        Assert.Equal(Inode.UnmappedUid, unmapped.UnmappedIds);
        Assert.False(unmapped.IsOwnedBy(65534, in st));

        Assert.Equal(0, fs.Root.Create("new", Libc.O_RDWR, 0x1A4, 0, 0, out Inode? created, out FileDescription? nf));
        nf!.DecRef();
        Assert.Equal((100000u, 200000u), HostOwner(host.HostPath("new")));
        Assert.Equal(0, created!.SetAttr(new SetAttrRequest { Mask = SetAttrRequest.UidBit | SetAttrRequest.GidBit, Uid = 1000, Gid = 7 }));
        Assert.Equal((101000u, 200007u), HostOwner(host.HostPath("new")));
        created.GetStat(out st);
        Assert.Equal((1000u, 7u), (st.Uid, st.Gid));

        Assert.Equal(0, fs.Root.Mkdir("d", 0x1ED, 3, 4));
        Assert.Equal((100003u, 200004u), HostOwner(host.HostPath("d")));
        Assert.Equal(-Errno.EOVERFLOW, fs.Root.Mkdir("e", 0x1ED, 70000, 0));
        Assert.False(Directory.Exists(host.HostPath("e")));
    }
}
