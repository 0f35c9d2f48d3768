using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// Signal-driven I/O: tests/progs/sigio.c (fcntl F_SETOWN, F_SETOWN_EX, F_SETSIG, O_ASYNC and
/// FIOASYNC on pipes and a socket; owners by process, thread and process group; the siginfo each
/// signal carries; the argument checks) under runc and csrunsc: same stdout and exit status.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class SignalDrivenIoTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void OwnersSignalsAndSiginfoAsLinux()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/sigio");
        Assert.Contains("pipe F_SETSIG: sig RTMIN+0 code 1 band 0x41 fd 3\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("socket: sig RTMIN+2 code 1 band 0x41", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("sigio: done\n", runc.Stdout, StringComparison.Ordinal);
    }
}
