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
