using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// Pipes and FIFOs whose last reader closes under a blocked writer (tests/progs/pipe_close.c):
/// the partial count plus SIGPIPE, then EPIPE, under runc and csrunsc (gVisor's
/// PipeTest.BlockPartialWriteClosed waits for both SIGPIPEs).
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class PipeTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void WriterBlockedWhenLastReaderClosesAsLinux()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/pipe_close");
        Assert.Contains("pipe partial: first=pipe_size sigpipe_after_first=1", runc.Stdout, StringComparison.Ordinal);
    }
}
