using Csrunsc.Tests.Differential;

namespace Csrunsc.Tests.Integration;

/// <summary>
/// What a user does in a shell exec'd with a terminal by a client (`ctr task exec --tty`,
/// `podman exec -it`) that runs on a <see cref="CallerTerminal"/>: types a line long after the
/// shell waits for it, interrupts a command with ^C, resizes the window. The client's exit status
/// is the shell's.
/// </summary>
public static class InteractiveExec
{
    /// <summary>The args to exec for <see cref="LateLine"/>.</summary>
    public static readonly string[] ReadOneLine = ["sh", "-c", "echo \"waiting on $(tty)\"; read line; echo \"got:$line\"; exit 3"];

    /// <summary>The args to exec for <see cref="CtrlCAndEof"/>.</summary>
    public static readonly string[] CatThenSleep = ["sh", "-c", "echo cat-ready; cat; echo cat-done; sleep 100"];

    /// <summary>The args to exec for <see cref="InteractiveShell"/>.</summary>
    public static readonly string[] Shell = ["env", "PS1=P> ", "sh", "-i"];

    /// <summary>
    /// <paramref name="start"/> execs <see cref="ReadOneLine"/>; the line is typed 1.5 s after the
    /// shell waits in `read` (input that arrives long after the exec started), <paramref name="times"/> times.
    /// </summary>
    public static void LateLine(IntegrationSession session, string client, Func<int, CallerTerminal> start, int times = 5)
    {
        for (int i = 0; i < times; i++)
        {
            using var t = start(i);
            void Step(bool ok, string what) => session.Check(ok, $"{client}, run {i + 1}/{times}: {what}\n--- screen ---\n{t.Screen}");
            Step(t.WaitFor("waiting on /dev/pts/"), "the exec'd shell should print its pty and wait in `read`");
            Thread.Sleep(1500);
            t.Type("hello\r");
            Step(t.WaitFor("got:hello"), "the line typed 1.5 s later should reach `read`");
            int? status = t.WaitForExit(TimeSpan.FromSeconds(20));
            Step(status == 3, $"the client should exit 3, the shell's status, got {status?.ToString() ?? "(still running)"}");
        }
    }

    /// <summary>
    /// <paramref name="t"/> runs <see cref="Shell"/> on a 24x80 terminal: the size, type-ahead, ^C ending
    /// `sleep 100` (SIGINT from the container's pty; status 130), a resize reaching the container's
    /// foreground job as SIGWINCH and `stty size`, `exit 6` as the client's status.
    /// </summary>
    public static void InteractiveShell(IntegrationSession session, string client, CallerTerminal t)
    {
        void Step(bool ok, string what) => session.Check(ok, $"{client}: {what}\n--- screen ---\n{t.Screen}");
        Step(t.WaitFor("P> "), "the interactive shell's prompt");
        t.Type("stty size\r");
        Step(t.WaitFor("24 80"), "`stty size` should be the caller's terminal's");

        t.TypeAheadInterruptAndResize(Step);

        t.Type("exit 6\r");
        int? status = t.WaitForExit(TimeSpan.FromSeconds(20));
        Step(status == 6, $"the client should exit 6, got {status?.ToString() ?? "(still running)"}");
    }

    /// <summary>
    /// <paramref name="t"/> runs <see cref="CatThenSleep"/>: a line reaches `cat` and comes back,
    /// ^D ends it (EOF from the pty's line discipline), ^C then kills the whole non-interactive
    /// shell (SIGINT to the pty's foreground group): the client's status is 130.
    /// </summary>
    public static void CtrlCAndEof(IntegrationSession session, string client, CallerTerminal t)
    {
        void Step(bool ok, string what) => session.Check(ok, $"{client}: {what}\n--- screen ---\n{t.Screen}");
        Step(t.WaitFor("cat-ready"), "the shell should start `cat`");
        Thread.Sleep(500);
        t.Type("meow\r");
        Step(t.WaitFor("meow") && t.WaitFor("meow"), "the line should be echoed and come back from `cat`");
        t.Type("\u0004");
        Step(t.WaitFor("cat-done"), "^D should end `cat`");
        Thread.Sleep(500);
        t.Type("\u0003");
        int? status = t.WaitForExit(TimeSpan.FromSeconds(20));
        Step(status == 130, $"^C should kill the shell and `sleep 100`: the client's status 130, got {status?.ToString() ?? "(still running)"}");
    }
}
