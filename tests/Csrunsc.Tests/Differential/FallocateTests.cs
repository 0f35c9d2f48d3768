using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// fallocate modes and SEEK_DATA/SEEK_HOLE: tests/progs/fallocate.c on the rootfs (the host
/// filesystem's answers through the gofer's file) and on tmpfs (page-granular holes, KEEP_SIZE,
/// PUNCH_HOLE, EOPNOTSUPP for the other modes), under runc and csrunsc.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class FallocateTests(DifferentialFixture fixture)
{
    [RootRequiredTheory]
    [InlineData("/")]
    [InlineData("/dev/shm")]
    public void ModesAndHolesAsLinux(string dir)
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/fallocate", dir);
        Assert.Contains("fallocate: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }
}
