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

    /// <summary>
    /// A devpts instance the container mounts itself (tests/progs/devpts_mount.c, with CAP_SYS_ADMIN):
    /// modes, index 0, stacked mounts, umount2's EBUSY/EINVAL, MNT_DETACH; without the capability, EPERM.
    /// </summary>
    [RootRequiredFact]
    public void DevptsMountedByTheGuest()
    {
        static void WithSysAdmin(System.Text.Json.Nodes.JsonObject config)
        {
            foreach (var (_, set) in config["process"]!["capabilities"]!.AsObject())
                if (!set!.AsArray().Any(c => (string?)c == "CAP_SYS_ADMIN")) set.AsArray().Add((System.Text.Json.Nodes.JsonNode)"CAP_SYS_ADMIN");
        }
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, WithSysAdmin, "/bin/devpts_mount");
        Assert.Contains("devpts_mount: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
        var (nocap, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/devpts_mount", "nocap");
        Assert.Contains("devpts_mount: ok (0 failures)", nocap.Stdout, StringComparison.Ordinal);
    }

    private void Part(string name)
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/pty", name);
        Assert.Contains("pty: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }
}
