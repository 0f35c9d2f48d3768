using System.Security.Cryptography;
using System.Text;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// An interactive busybox shell on the container's terminal (process.terminal, --console-socket),
/// driven through the pty master as a user types: under csrunsc the host pty is bridged to a
/// Sentry pty (src/Sentry/Fs/Pty/HostTerminalBridge.cs), so echo, ^C/^Z to the foreground group,
/// job control, window size and hang-up are the Sentry's; runc (the host's pty) is the oracle:
/// both must pass every step.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class InteractiveShellTests(DifferentialFixture fixture)
{
    private static readonly string[] Prompt = ["PS1=P> "];

    /// <summary>The interactive shell under a wrapper that prints its status (runc runs a console-socket container detached).</summary>
    private static readonly string[] Shell = ["/bin/sh", "-c", "sh; echo exit-status=$?"];

    /// <summary>Late typing, ^C of `sleep 100`, ^Z + jobs + fg, SIGWINCH and `stty size` after a resize, `exit 7`.</summary>
    [RootRequiredTheory]
    [InlineData(ContainerRunner.Runc)]
    [InlineData(ContainerRunner.Csrunsc)]
    public void JobControlResizeAndExitStatus(string runtime)
    {
        using var t = TerminalSession.Start(fixture, runtime, Shell, rows: 24, cols: 80, env: Prompt);
        Step(t, t.WaitFor("P> "), "the first prompt");
        Thread.Sleep(1500);
        t.Type("echo got-$((6*7)); tty\r");
        Step(t, t.WaitFor("got-42"), "a command typed 1.5 s after the prompt");
        Step(t, t.WaitFor("/dev/pts/"), "`tty` names a /dev/pts node");
        Step(t, t.WaitFor("P> "), "the prompt after it");

        t.Type("sleep 100\r");
        Thread.Sleep(700);
        t.Type("\u0003");
        Step(t, t.WaitFor("P> ", TimeSpan.FromSeconds(5)), "^C ends `sleep 100`");
        t.Type("echo st=$?\r");
        Step(t, t.WaitFor("st=130"), "^C: status 130");

        t.Type("sleep 100\r");
        Thread.Sleep(700);
        t.Type("\u001a");
        Step(t, t.WaitFor("P> ", TimeSpan.FromSeconds(5)), "^Z stops `sleep 100` and the shell prompts again");
        t.Type("jobs\r");
        Step(t, t.WaitFor("Stopped"), "`jobs` lists the stopped job");
        Step(t, t.WaitFor("P> "), "the prompt after jobs");
        t.Type("fg\r");
        Step(t, t.WaitFor("sleep 100"), "`fg` resumes the job");
        Thread.Sleep(700);
        t.Type("\u0003");
        Step(t, t.WaitFor("P> ", TimeSpan.FromSeconds(5)), "^C ends the resumed job");

        t.Type("sh -c 'trap \"echo got-winch\" WINCH; echo armed; while :; do sleep 0.1; done'\r");
        Step(t, t.WaitFor("armed"), "the WINCH trap armed");
        Thread.Sleep(300);
        t.Resize(33, 101);
        Step(t, t.WaitFor("got-winch", TimeSpan.FromSeconds(5)), "a resize reaches the foreground group as SIGWINCH");
        t.Type("\u0003");
        Step(t, t.WaitFor("P> ", TimeSpan.FromSeconds(5)), "^C ends the trap loop");
        t.Type("stty size\r");
        Step(t, t.WaitFor("33 101"), "`stty size` after the resize");

        t.Type("exit 7\r");
        Assert.True(t.WaitForExitStatus(TimeSpan.FromSeconds(15)) == 7, $"{runtime}: `exit 7` should end the shell with status 7\n{t.Screen}");
    }

    /// <summary>Closing the master hangs the terminal up: SIGHUP to the session leader, then to the shell in the foreground; the container ends.</summary>
    [RootRequiredTheory]
    [InlineData(ContainerRunner.Runc)]
    [InlineData(ContainerRunner.Csrunsc)]
    public void ClosingTheMasterHangsUp(string runtime)
    {
        using var t = TerminalSession.Start(fixture, runtime, Shell, env: Prompt);
        Step(t, t.WaitFor("P> "), "the first prompt");
        t.CloseMaster();
        Assert.True(t.WaitForStopped(TimeSpan.FromSeconds(15)), $"{runtime}: the container should end once its terminal hangs up\n{t.Screen}");
    }

    /// <summary>Bytes in order both ways under backpressure: 200 kB typed into a raw-mode reader, 1.2 MB of `seq` read back.</summary>
    [RootRequiredTheory]
    [InlineData(ContainerRunner.Runc)]
    [InlineData(ContainerRunner.Csrunsc)]
    public void BulkBytesBothWaysInOrder(string runtime)
    {
        using var t = TerminalSession.Start(fixture, runtime, Shell, env: Prompt);
        Step(t, t.WaitFor("P> "), "the first prompt");
        t.Type("seq 1 150000; echo seq-$((1+1))-done\r");
        Step(t, t.WaitFor("seq-2-done\r\n", TimeSpan.FromSeconds(60)), "seq's output through the terminal");
        string screen = t.Screen;
        int first = screen.IndexOf("\r\n1\r\n", StringComparison.Ordinal);
        Assert.True(first >= 0, $"{runtime}: seq output should start with 1: {Escape(screen[..Math.Min(400, screen.Length)])}");
        var lines = screen[(first + 2)..].Split("\r\n");
        for (int i = 0; i < 150000; i++)
            Assert.True(lines[i] == (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), $"{runtime}: line {i + 1} of seq is '{lines[i]}'");

        var data = new byte[200_000];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)('a' + i % 26);
        string md5 = Convert.ToHexStringLower(MD5.HashData(data));
        t.Type("stty raw -echo; echo raw-$((2+3)); head -c 200000 | md5sum; stty sane\r");
        Step(t, t.WaitFor("raw-5"), "stty raw");
        var writer = new Thread(() => t.Type(Encoding.ASCII.GetString(data))) { IsBackground = true };
        writer.Start();
        Step(t, t.WaitFor(md5, TimeSpan.FromSeconds(60)), "the md5 of 200 kB typed in raw mode");
        writer.Join(TimeSpan.FromSeconds(10));
        t.Type("exit 0\r");
        Assert.True(t.WaitForExitStatus(TimeSpan.FromSeconds(15)) == 0, $"{runtime}: exit 0\n{t.Screen}");
    }

    private static string Escape(string s) => s.Replace("\r", "\\r").Replace("\n", "\\n\n").Replace("\u001b", "\\e");

    private static void Step(TerminalSession t, bool ok, string what) =>
        Assert.True(ok, $"{what}: not seen; the terminal showed:\n{t.Screen}");
}
