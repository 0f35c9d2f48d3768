using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>Static C programs from tests/progs: same output under runc and csrunsc.</summary>
[Collection(DifferentialCollection.Name)]
public sealed class SyscallProgramTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void SyscallsProgram()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/syscalls");
        Assert.Equal(0, runc.ExitCode);
        Assert.Contains("syscalls: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void ForkGivesPrivateCopiesOfEveryPage()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/fork_cow");
        Assert.Equal("fork_cow: ok (0 failures)\n", runc.Stdout);
    }

    [RootRequiredFact]
    public void ForkWhileOtherThreadsRun()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/fork_threads");
        Assert.Equal("fork_threads: ok\n", runc.Stdout);
    }

    /// <summary>
    /// 64 threads forking at once: blocks shared by many address spaces, their sharing count changed
    /// under each space's own lock. Lost updates there let two processes write one page in place
    /// (failed 2 runs in 3 before the count was made atomic; gVisor's sigstop_test crashed on it).
    /// </summary>
    [RootRequiredFact]
    public void ForkFromManyThreadsAtOnce()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/fork_storm", "64", "15");
        Assert.Equal("fork_storm: ok\n", runc.Stdout);
    }

    [RootRequiredFact]
    public void GetpidLoopRuns()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(
            fixture.Runner, "sh", "-c", "/bin/getpid_loop 1000 | sed 's/, .*//'");
        Assert.Equal("getpid: 1000 calls\n", runc.Stdout);
    }
}
