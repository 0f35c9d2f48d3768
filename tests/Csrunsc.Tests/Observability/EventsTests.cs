using System.Diagnostics;
using System.Text.Json.Nodes;
using Csrunsc.Tests.Differential;
using Xunit;

namespace Csrunsc.Tests.Observability;

/// <summary>
/// `events`: --stats on a running container (the Sentry's guest figures in runc's fields), the
/// stats stream ending when the container stops, and the OOM event under runc and csrunsc.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class EventsTests(DifferentialFixture fixture)
{
    private static (int Exit, string Stdout) Cli(string runtime, string root, TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo(ContainerRunner.ResolveRuntime(runtime)) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("--root");
        psi.ArgumentList.Add(root);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string o = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(timeout)) p.Kill();
        return (p.HasExited ? p.ExitCode : -1, o + err.Result);
    }

    private static void WaitRunning(string runtime, string root, string id)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            var (exit, o) = Cli(runtime, root, TimeSpan.FromSeconds(10), "state", id);
            if (exit == 0 && o.Contains("\"running\"", StringComparison.Ordinal)) return;
            Thread.Sleep(100);
        }
        throw new TimeoutException(id + " never ran");
    }

    [RootRequiredFact]
    public void StatsCarryTheGuestsFigures()
    {
        string id = fixture.Runner.NewContainerId(ContainerRunner.Csrunsc);
        string bundle = fixture.Runner.CreateBundle(id, ["sh", "-c", "cat /etc/hostname >/dev/null; sleep 4; echo done"]);
        string root = fixture.StateRootFor(ContainerRunner.Csrunsc);
        using var c = fixture.Runner.Start(ContainerRunner.Csrunsc, bundle, id);
        WaitRunning(ContainerRunner.Csrunsc, root, id);
        Thread.Sleep(1000);
        var (exit, output) = Cli(ContainerRunner.Csrunsc, root, TimeSpan.FromSeconds(15), "events", "--stats", id);
        Assert.True(exit == 0, output);
        var e = JsonNode.Parse(output)!;
        Assert.Equal("stats", (string?)e["type"]);
        Assert.Equal(id, (string?)e["id"]);
        var data = e["data"]!;
        Assert.True((long)data["cpu"]!["usage"]!["total"]! > 0, output);
        Assert.True((long)data["memory"]!["usage"]!["usage"]! > 0, output);
        Assert.Equal(2, (long)data["pids"]!["current"]!); // sh and sleep
        var sandbox = data["csrunsc"]!;
        Assert.Equal(2, (long)sandbox["processes"]!);
        Assert.True((long)sandbox["memory_file"]!["rss"]! > 0, output);
        var calls = sandbox["syscalls"]!["calls"]!.AsObject();
        Assert.True((long)calls["execve"]! >= 2, output); // sh, then cat and sleep
        Assert.True(calls.ContainsKey("openat"), output);
        Assert.Equal((long)sandbox["syscalls"]!["total"]!, calls.Sum(kv => (long)kv.Value!));
        Assert.Equal(0, c.WaitForExit(TimeSpan.FromSeconds(30)).ExitCode);
    }

    [RootRequiredFact]
    public void StreamEndsWhenTheContainerStops()
    {
        string id = fixture.Runner.NewContainerId(ContainerRunner.Csrunsc);
        string bundle = fixture.Runner.CreateBundle(id, ["sleep", "3"]);
        string root = fixture.StateRootFor(ContainerRunner.Csrunsc);
        using var c = fixture.Runner.Start(ContainerRunner.Csrunsc, bundle, id);
        WaitRunning(ContainerRunner.Csrunsc, root, id);
        var (exit, output) = Cli(ContainerRunner.Csrunsc, root, TimeSpan.FromSeconds(20), "events", "--interval", "1s", id);
        Assert.True(exit == 0, output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 2, output);
        foreach (var line in lines)
        {
            var e = JsonNode.Parse(line)!;
            Assert.Equal("stats", (string?)e["type"]);
            Assert.Equal(id, (string?)e["id"]);
        }
        Assert.Equal(0, c.WaitForExit(TimeSpan.FromSeconds(30)).ExitCode);
    }

    [RootRequiredTheory]
    [InlineData(ContainerRunner.Runc)]
    [InlineData(ContainerRunner.Csrunsc)]
    public void OomKillIsAnEvent(string runtime)
    {
        string id = fixture.Runner.NewContainerId(runtime);
        string bundle = fixture.Runner.CreateBundle(id, ["/bin/oom_alloc"], config =>
        {
            var resources = (JsonObject)config["linux"]!["resources"]!;
            resources["memory"] = new JsonObject { ["limit"] = 96L << 20, ["swap"] = 96L << 20 };
        });
        string root = fixture.StateRootFor(runtime);
        using var c = fixture.Runner.Start(runtime, bundle, id);
        WaitRunning(runtime, root, id);
        var events = System.Threading.Tasks.Task.Run(() => Cli(runtime, root, TimeSpan.FromSeconds(40), "events", "--interval", "30s", id));
        Thread.Sleep(3000); // events is watching the cgroup (its start is slow on a loaded machine)
        var (killExit, killOutput) = Cli(runtime, root, TimeSpan.FromSeconds(10), "kill", id, "USR1");
        Assert.True(killExit == 0, killOutput);
        var (_, output) = events.Result;
        var r = c.WaitForExit(TimeSpan.FromSeconds(40));
        Assert.DoesNotContain("without an OOM kill", r.Stdout, StringComparison.Ordinal);
        var types = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Contains(types, e => (string?)e["type"] == "oom" && (string?)e["id"] == id && e["data"] is null);
    }
}
