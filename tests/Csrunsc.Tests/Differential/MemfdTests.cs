using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>memfd_create and file seals: tests/progs/memfd.c under runc and csrunsc (same stdout and exit status).</summary>
[Collection(DifferentialCollection.Name)]
public sealed class MemfdTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void MemfdCreateAndSealsAsLinux()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/memfd");
        Assert.Contains("memfd: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }
}
