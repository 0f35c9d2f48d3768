using System.Text.Json.Nodes;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// AF_UNIX sockets as Linux has them: the C programs in tests/progs/unix_*.c, each printing one
/// ok/FAIL line per check, under runc and csrunsc (same stdout and exit status), plus the seeded
/// fuzz pass, which must run to its end in both.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class UnixSocketTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void StreamServersOnPathsAndAbstractNamesPassingDescriptors()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/unix_stream");
        Assert.Contains("unix_stream: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void PeerCredentialsAndPassedCredentials()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/unix_peercred");
        Assert.Contains("unix_peercred: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void CredentialChecksForAnUnprivilegedUser()
    {
        static void AsUser(JsonObject config) => config["process"]!["user"] = new JsonObject { ["uid"] = 4321, ["gid"] = 1234 };
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, AsUser, "/bin/unix_peercred", "user");
        Assert.Contains("ok   connect without write permission = -13\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("unix_peercred: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void SeqpacketAndDatagramMessageBoundaries()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/unix_seqpacket");
        Assert.Contains("unix_seqpacket: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void ShutdownEofResetPipeAndTimeouts()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/unix_shutdown");
        Assert.Contains("unix_shutdown: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void NonBlockingConnectAcceptWithEdgeTriggeredEpoll()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/unix_epoll");
        Assert.Contains("unix_epoll: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredTheory]
    [InlineData("0x5eed5eed1234")]
    [InlineData("7")]
    [InlineData("20261201")]
    public void SeededFuzzPassRunsToTheEnd(string seed)
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/unix_fuzz", seed, "20000");
        Assert.Equal("unix_fuzz: done 20000 calls\n", runc.Stdout);
    }
}
