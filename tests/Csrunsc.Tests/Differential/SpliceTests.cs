using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// splice, tee, vmsplice, copy_file_range, sendfile and F_SETPIPE_SZ: tests/progs/splice.c (pipe and
/// file moves, offsets, partial moves, non-blocking, EOF/EPIPE, errors, a blocked splice woken by a
/// child, copy_file_range within the rootfs and EXDEV across filesystems) under runc and csrunsc.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class SpliceTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void SpliceTeeVmspliceAndCopyFileRangeAsLinux()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/splice");
        Assert.Contains("splice: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }
}
