using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// Readiness as Linux reports it: epoll's edge/level/one-shot/nested semantics (tests/progs/epoll_edge.c),
/// and poll/select/epoll on stdin, a host pipe whose data arrives while the call waits.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class ReadinessTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void EpollSemantics()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/epoll_edge");
        Assert.Contains("epoll_edge: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void StdinDataArrivingDuringPollSelectAndEpoll()
    {
        static void Feed(StreamWriter w)
        {
            foreach (var phase in new[] { "poll", "select", "epoll" })
            {
                Thread.Sleep(1000);
                w.Write(phase + "\n");
            }
            Thread.Sleep(500);
        }

        var runc = fixture.Runner.RunUnder(ContainerRunner.Runc, ["/bin/late_stdin"], feedStdin: Feed);
        var csrunsc = fixture.Runner.RunUnder(ContainerRunner.Csrunsc, ["/bin/late_stdin"], feedStdin: Feed);
        const string expected = "poll: ready=1 waited=yes data=poll\nselect: ready=1 waited=yes data=select\n" +
            "epoll: ready=1 waited=yes data=epoll\nhangup: ready=1 hup=1 eof=1\n";
        Assert.True(runc.Stdout == expected, $"runc:\n{runc}");
        Assert.True(csrunsc.Stdout == expected && csrunsc.ExitCode == 0, $"csrunsc:\n{csrunsc}\n=== runc ===\n{runc}");
    }
}
