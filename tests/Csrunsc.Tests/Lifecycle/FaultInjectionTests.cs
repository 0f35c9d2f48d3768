using System.Text.Json;
using Csrunsc.Tests.Differential;
using Csrunsc.Tests.Integration;
using Xunit;
using static Csrunsc.Tests.Lifecycle.LifecycleCompare;

namespace Csrunsc.Tests.Lifecycle;

/// <summary>
/// Host processes of a container killed from outside (the host's OOM killer, an operator's
/// `kill -9`): the container ends or goes on exactly as under runc, with an error line naming
/// what died, and nothing is left behind. Then many containers at once.
/// </summary>
[Collection(LifecycleCollection.Name)]
public sealed class FaultInjectionTests(LifecycleFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>
    /// SIGKILL to the host process of a child (runc: the child itself; csrunsc: its stub, which
    /// `ps` names): the child dies of SIGKILL, its parent sees 137 and goes on.
    /// </summary>
    [RootRequiredFact]
    public void KillingAChildsHostProcessKillsOnlyThatChild() => Scenario(fixture, (s, o) =>
    {
        var (id, bundle, pid) = s.CreateContainer(["sh", "-c", "sleep 100; echo \"child status $?\"; sleep 100"]);
        s.Cli("start", id);
        var others = new List<int>();
        // The same pid on two looks 300 ms apart: the child's host process right after fork is
        // replaced when it execs sleep (csrunsc: a new stub), and killing that one would miss.
        var previous = new List<int>();
        HostInspector.WaitUntil(() =>
        {
            others = Pids(s, id).Where(p => p != pid).ToList();
            bool stable = others.Count == 1 && previous.SequenceEqual(others);
            previous = others;
            return stable;
        }, Patience, TimeSpan.FromMilliseconds(300));
        o.Add($"one other host process: {others.Count == 1}");
        if (others.Count == 1)
        {
            HostInspector.Signal(others[0], "KILL");
        }

        var stdout = Path.Join(bundle, "stdout");
        HostInspector.WaitUntil(() => File.Exists(stdout) && File.ReadAllText(stdout).Contains("child status"), Patience);
        o.Add($"stdout: {Text(File.ReadAllText(stdout))}");
        o.Add($"still running: {s.Status(id) == "running"}");
        s.Cli("kill", id, "KILL");
        o.Add($"stopped after kill: {s.WaitForStatus(id, "stopped", Patience)}");
    },
    [
        "one other host process: True",
        "stdout: child status 137\\n",
        "still running: True",
        "stopped after kill: True",
    ]);

    /// <summary>
    /// SIGKILL to the pid-file process (runc: init; csrunsc: the sandbox process): the container
    /// is stopped, every host process it had is gone (csrunsc: the gofer and the stubs too),
    /// and delete cleans up.
    /// </summary>
    [RootRequiredFact]
    public void KillingThePidFileProcessEndsEverything() => Scenario(fixture, (s, o) =>
    {
        var (id, _, pid) = s.CreateContainer(["sh", "-c", "sleep 100 & sleep 100"]);
        s.Cli("start", id);
        HostInspector.WaitUntil(() => Pids(s, id).Count == 2, Patience);
        var all = HostInspector.Descendants(pid).Append(pid).ToList();
        HostInspector.Signal(pid, "KILL");
        o.Add($"stopped: {s.WaitForStatus(id, "stopped", Patience)}");
        o.Add($"every host process gone: {HostInspector.WaitUntil(() => !all.Any(HostInspector.IsAlive), Patience)}");
        o.Add($"delete: exit {s.Cli("delete", id).ExitCode}");
    },
    [
        "stopped: True",
        "every host process gone: True",
        "delete: exit 0",
    ]);

    /// <summary>
    /// csrunsc only (runc has no gofer): the gofer killed under a container that keeps using its
    /// rootfs. Without it every file operation would answer EIO forever, so the container ends
    /// (exit 137, as runsc's does) with an error line naming the gofer and its signal.
    /// </summary>
    [RootRequiredFact]
    public void KillingTheGoferEndsTheContainerWithAnError()
    {
        using var s = new LifecycleSession(fixture, LifecycleSession.Csrunsc);
        var id = s.NewId();
        using var run = s.StartRun(id, s.NewBundle(id, ["sh", "-c", "while true; do echo x > /f; cat /f > /dev/null; done"]));
        int sandbox = 0;
        Assert.True(HostInspector.WaitUntil(() => s.State(id) is { } st && (sandbox = st.GetProperty("pid").GetInt32()) > 0, Patience),
            "the container never ran\n" + s.Transcript);
        int gofer = 0;
        Assert.True(HostInspector.WaitUntil(() =>
            (gofer = HostInspector.Descendants(sandbox).FirstOrDefault(p => HostProcess.TryRead(p)?.CommandLine.Contains(" gofer ") == true)) > 0,
            Patience), "no gofer process under the sandbox\n" + s.Transcript);
        Thread.Sleep(300);
        HostInspector.Signal(gofer, "KILL");
        var result = run.Wait(Patience);
        Assert.Equal(137, result.ExitCode);
        // The Sentry's events go to the runtime's --log when there is one (else stderr).
        var log = File.Exists(s.LogFile) ? File.ReadAllText(s.LogFile) : "";
        Assert.Contains($"lost the gofer", log);
        Assert.Contains($"the gofer (pid {gofer}) was killed by signal 9", log);
        Assert.Empty(s.CleanUpAndListLeftovers());
    }

    /// <summary>50 foreground `run`s started at once: each prints its line and exits 0, nothing is left.</summary>
    [RootRequiredFact]
    public void FiftyContainersAtOnce() => Scenario(fixture, (s, o) =>
    {
        const int count = 50;
        var runs = Enumerable.Range(0, count).Select(i =>
        {
            var id = s.NewId();
            return s.StartRun(id, s.NewBundle(id, ["echo", $"hello {i}"]));
        }).ToList();
        var results = runs.Select(r => r.Wait(TimeSpan.FromMinutes(3))).ToList();
        foreach (var r in runs)
        {
            r.Dispose();
        }

        var good = results.Where((r, i) => r.ExitCode == 0 && r.Stdout == $"hello {i}\n").Count();
        o.Add($"ran and printed their line: {good} of {count}");
        foreach (var bad in results.Where((r, i) => !(r.ExitCode == 0 && r.Stdout == $"hello {i}\n")).Take(3))
        {
            o.Add($"failed: exit {bad.ExitCode}: {Text(bad.Stdout)} {Text(bad.Stderr)}");
        }
    },
    [
        "ran and printed their line: 50 of 50",
    ]);

    /// <summary>The host pids `ps --format json` names.</summary>
    private static List<int> Pids(LifecycleSession s, string id)
    {
        var ps = s.Cli("ps", "--format", "json", id);
        if (ps.ExitCode != 0)
        {
            return [];
        }

        try
        {
            using var document = JsonDocument.Parse(ps.Stdout);
            return document.RootElement.ValueKind == JsonValueKind.Array
                ? document.RootElement.EnumerateArray().Select(e => e.GetInt32()).ToList()
                : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
