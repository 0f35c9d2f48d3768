using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// File locks as Linux has them: tests/progs/locks.c (fcntl POSIX and OFD record locks, flock,
/// waits, EDEADLK, EINTR) on a rootfs file and a tmpfs file, under runc and csrunsc (same stdout
/// and exit status).
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class FileLockTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void RecordLocksOfdLocksAndFlockBetweenProcesses()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/locks");
        Assert.Contains("locks: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }
}
