using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>busybox shell scripts: same stdout and exit status under runc and csrunsc.</summary>
[Collection(DifferentialCollection.Name)]
public sealed class ShellBehaviourTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void EchoHello()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "echo", "hello");
        Assert.Equal("hello\n", runc.Stdout);
    }

    [RootRequiredFact]
    public void ListRootCatPasswdPidAndExitStatus()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(
            fixture.Runner, "sh", "-c", "ls /; cat /etc/passwd; echo $$; exit 7");
        Assert.Equal(7, runc.ExitCode);
        Assert.EndsWith("\n1\n", runc.Stdout);
    }

    [RootRequiredFact]
    public void LoopThroughPipeIntoWc()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(
            fixture.Runner, "sh", "-c", "for i in 1 2 3; do echo $i; done | wc -l");
        Assert.Equal("3", runc.Stdout.Trim());
    }

    [RootRequiredFact]
    public void LongPipelineChecksum()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(
            fixture.Runner, "sh", "-c", "yes | head -n 100000 | md5sum");
        Assert.StartsWith("eda1b2a5649ead4aaf46ae7bb418a101", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void InitIgnoresSigtermWithoutHandler()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(
            fixture.Runner, "sh", "-c", "kill -TERM $$; echo survived");
        Assert.Equal("survived\n", runc.Stdout);
    }

    [RootRequiredFact]
    public void BackgroundChildKilledBySigterm()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(
            fixture.Runner, "sh", "-c", "sleep 5 & kill -TERM $!; wait $!; echo $?");
        Assert.Equal("143\n", runc.Stdout);
    }
}
