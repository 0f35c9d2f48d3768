using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>A guest cannot crash its Sentry: huge offsets and lengths get errnos, the sandbox lives on.</summary>
[Collection(DifferentialCollection.Name)]
public sealed class RobustnessTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void HugeFileOffsetsLeaveTheSentryAlive()
    {
        var result = fixture.Runner.RunUnder(ContainerRunner.Csrunsc, ["sh", "-c",
            "dd if=/dev/zero of=/dev/shm/x bs=1 count=1 seek=140737488355328 2>/dev/null; " +
            "truncate -s 281474976710656 /dev/shm/y; dd if=/dev/shm/y bs=1 count=1 skip=70368744177664 2>/dev/null | wc -c; " +
            "echo alive"]);
        Assert.False(result.TimedOut, result.ToString());
        Assert.True(result.ExitCode == 0 && result.Stdout.EndsWith("alive\n", StringComparison.Ordinal), result.ToString());
        Assert.DoesNotContain("Sentry bug", result.Stderr, StringComparison.Ordinal);
    }
}
