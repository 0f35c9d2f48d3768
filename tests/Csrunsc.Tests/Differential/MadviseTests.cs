using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// madvise as Linux has it: tests/progs/madvise.c (DONTNEED on anonymous, private file and shared
/// memory; DONTFORK and WIPEONFORK seen by a forked child; REMOVE on shared memory and a /dev/shm
/// file; FREE, POPULATE_*, hints and the argument checks) under runc and csrunsc.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class MadviseTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void AdviceThatChangesMemoryAndForkAsLinux()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/madvise");
        Assert.Contains("child small: '' large: '' kept: 'not wiped'\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("private file after: 'from the file'\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("madvise: done\n", runc.Stdout, StringComparison.Ordinal);
    }
}
