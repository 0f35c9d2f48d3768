using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// NUMA memory policy (tests/progs/mempolicy.c under runc and csrunsc): set_mempolicy, get_mempolicy
/// and mbind answer, keep and report policies as Linux does on this one-node machine — numactl,
/// libnuma users and JVMs probe them (get_mempolicy was ENOSYS).
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class MempolicyTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void PoliciesAreCheckedKeptAndReportedAsLinux()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/mempolicy");
        Assert.Contains("bind static 0-1                          get ok mode 32770 mask 3 0 cafe\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("ADDR page 2                              get ok mode 2 mask 1 0 cafe\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("child: ADDR page 3                       get ok mode 32771 mask 1 0 cafe\n", runc.Stdout, StringComparison.Ordinal);
    }
}
