using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// The Sentry's pseudo-terminals (src/Sentry/Fs/Pty) against Linux's under runc: tests/progs/pty.c
/// covers devpts and ptmx, the line discipline, window sizes, controlling terminals, job-control
/// signals, hang-ups and a `script`-like busybox session on a pty.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class PtyTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void PtyProgram()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/pty");
        Assert.Contains("pty: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }
}
