using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// File-call edges: tests/progs/file_edges.c (access mode 3, O_RDONLY|O_TRUNC, O_DIRECT on a
/// directory, rmdir/unlink of "/", pread/pwrite past the largest offset, readv with a bad second
/// iovec, epoll with no events on a hung-up pipe, protected hardlinks when the container may change
/// its uid) under runc and csrunsc.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class FileEdgeTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void FileCallEdgesAsLinux()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/file_edges");
        Assert.Contains("mode 3 read: -1 Bad file descriptor\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("epoll no events, writer gone: 1 0x10\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("file_edges: done\n", runc.Stdout, StringComparison.Ordinal);
    }
}
