using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// clone3 as Linux checks it: tests/progs/clone3.c (struct sizes and unknown tails, unknown flags,
/// CSIGNAL in flags, exit_signal, CLEAR_SIGHAND with SIGHAND, PARENT with an exit signal, stack and
/// set_tid pairs; CLONE_CLEAR_SIGHAND in the child; clone's non-canonical TLS) under runc and csrunsc.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class Clone3Tests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void ArgumentChecksAndClearSighandAsLinux()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/clone3");
        Assert.Contains("child: SIGUSR1 default, SIGUSR2 ignored\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("clone3: done\n", runc.Stdout, StringComparison.Ordinal);
    }
}
