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
    /// <summary>ptmx, devpts nodes, locking, ptsname/ttyname, TIOCGPTPEER, index reuse, openpty.</summary>
    [RootRequiredFact]
    public void DevptsAndPtmx() => Part("devpts");

    /// <summary>Canonical editing and echo flags, input/output mappings, VMIN/VTIME, flushes, IXON, window size, replica close.</summary>
    [RootRequiredFact]
    public void LineDiscipline() => Part("discipline");

    /// <summary>setsid + acquiring the pty, /dev/tty, ^C ^\ ^Z, SIGWINCH, a background group, master close, TIOCNOTTY.</summary>
    [RootRequiredFact]
    public void ControllingTerminalAndJobControl() => Part("session");

    /// <summary>What `script -qc CMD /dev/null` does (forkpty + busybox sh): `echo hi; tty`, `stty size; stty -a`, a prompt read from /dev/tty.</summary>
    [RootRequiredFact]
    public void ScriptLikeSession() => Part("script");

    private void Part(string name)
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/pty", name);
        Assert.Contains("pty: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }
}
