using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// File mappings past the end of the file and mmap's argument checks: tests/progs/mmap_eof.c
/// (SIGBUS BUS_ADRERR on pages past EOF, EFAULT for syscalls reading them, a grown file readable
/// again, a truncated shared mapping zeroed; EOVERFLOW, EBADF, ENODEV, EINVAL) under runc and csrunsc.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class MmapEndOfFileTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void PagesPastTheEndOfTheFileRaiseSigbus()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/mmap_eof");
        Assert.Contains("private page 1 read: SIGBUS code 2\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("write() from past EOF: Bad address\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("mmap_eof: done\n", runc.Stdout, StringComparison.Ordinal);
    }
}
