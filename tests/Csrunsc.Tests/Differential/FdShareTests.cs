using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// fd tables shared by clone(CLONE_FILES) between processes, and the calls that unshare them
/// (unshare, close_range's CLOSE_RANGE_UNSHARE, execve): tests/progs/fd_share.c under runc and
/// csrunsc (same stdout and exit status).
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class FdShareTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void SharedFdTablesAsLinux()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/fd_share");
        Assert.Contains("fd_share: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }
}
