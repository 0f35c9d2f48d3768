using System.Text.Json.Nodes;
using Csrunsc.Tests.Integration;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// process.oomScoreAdj and process.rlimits as runc applies or refuses them: the value inside the
/// container (and its write rules), the value the host's OOM killer sees on every host process of
/// the container, and create failing on values runc refuses.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class ProcessConfigTests(DifferentialFixture fixture)
{
    private static Action<JsonObject> OomScoreAdj(int value) => c => c["process"]!["oomScoreAdj"] = value;

    /// <summary>
    /// Inside: the configured value; raising it is allowed, and lowering it back too (to 100 here)
    /// but not below 0 without CAP_SYS_RESOURCE, which runc's default capability set does not hold
    /// (EACCES); out of range or not a number is EINVAL; a child inherits it.
    /// </summary>
    [RootRequiredFact]
    public void OomScoreAdjInsideTheContainer()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, OomScoreAdj(500), "sh", "-c",
            "cat /proc/self/oom_score_adj; echo 600 > /proc/self/oom_score_adj; echo \"raise $?\"; cat /proc/$$/oom_score_adj; " +
            "echo 100 > /proc/self/oom_score_adj; echo \"lower $?\"; echo -5 2>/dev/null > /proc/self/oom_score_adj; echo \"negative $?\"; echo 5000 2>/dev/null > /proc/self/oom_score_adj; " +
            "echo \"range $?\"; echo junk 2>/dev/null > /proc/self/oom_score_adj; echo \"junk $?\"; sh -c 'cat /proc/self/oom_score_adj'");
        Assert.StartsWith("500\nraise 0\n600\nlower 0\nnegative 1\nrange 1\njunk 1\n100\n", runc.Stdout, StringComparison.Ordinal);
    }

    /// <summary>The host's view: the pid-file process and (csrunsc) every host process under it carry the value.</summary>
    [RootRequiredTheory]
    [InlineData(ContainerRunner.Runc)]
    [InlineData(ContainerRunner.Csrunsc)]
    public void OomScoreAdjOnEveryHostProcess(string runtime)
    {
        var runner = fixture.Runner;
        var id = runner.NewContainerId(runtime);
        var bundle = runner.CreateBundle(id, ["sh", "-c", "sleep 30 & sleep 30"], OomScoreAdj(300));
        using var container = runner.Start(runtime, bundle, id);
        var exe = ContainerRunner.ResolveRuntime(runtime);
        try
        {
            int pid = 0;
            string last = "";
            Assert.True(HostInspector.WaitUntil(() =>
            {
                JsonNode state;
                try
                {
                    state = JsonNode.Parse(HostCommand.Run(exe, "--root", container.StateRoot, "state", id))!;
                }
                catch (InvalidOperationException e)
                {
                    last = e.Message + (container.Process.HasExited ? "\n" + container.WaitForExit(TimeSpan.FromSeconds(2)) : "");
                    return false; // not created yet
                }
                last = state.ToJsonString() + " descendants " + string.Join(",", HostInspector.Descendants((int)state["pid"]!));
                pid = (int)state["pid"]!;
                return (string?)state["status"] == "running" && HostInspector.Descendants(pid).Count >= (runtime == ContainerRunner.Runc ? 1 : 3);
            }, TimeSpan.FromSeconds(20)), "the container did not start its children: " + last);
            foreach (var p in HostInspector.Descendants(pid).Append(pid))
            {
                string? value = null;
                try
                {
                    value = File.ReadAllText($"/proc/{p}/oom_score_adj").Trim();
                }
                catch (IOException)
                {
                    continue; // ended meanwhile
                }
                Assert.True(value == "300", $"{runtime}: host process {p} ({HostProcess.TryRead(p)?.CommandLine}) has oom_score_adj {value}");
            }
        }
        finally
        {
            HostCommand.Run(exe, "--root", container.StateRoot, "delete", "--force", id);
            container.WaitForExit(TimeSpan.FromSeconds(15));
        }
    }

    public static TheoryData<string> RefusedCases => ["oom-score-adj-out-of-range", "unknown-rlimit-type", "sysctl-not-namespaced"];

    /// <summary>
    /// What runc refuses at create: exit 1, one line naming the cause, nothing left. (IPC namespace
    /// sysctls: IpcSysctlTests.)
    /// </summary>
    [RootRequiredTheory]
    [MemberData(nameof(RefusedCases))]
    public void RefusedAtCreateLikeRunc(string refusedCase)
    {
        Action<JsonObject> edit = refusedCase switch
        {
            "oom-score-adj-out-of-range" => OomScoreAdj(2000),
            "sysctl-not-namespaced" => c => c["linux"]!["sysctl"] = new JsonObject { ["vm.swappiness"] = "10" },
            _ => c => c["process"]!["rlimits"] = new JsonArray(new JsonObject { ["type"] = "RLIMIT_FOO", ["hard"] = 1, ["soft"] = 1 }),
        };
        string[] words = refusedCase switch
        {
            "unknown-rlimit-type" => ["rlimit", "RLIMIT_FOO"],
            "sysctl-not-namespaced" => ["sysctl", "vm.swappiness"],
            _ => ["oom_score_adj"],
        };
        var runner = fixture.Runner;
        var reference = runner.RunUnder(ContainerRunner.Runc, ["true"], editConfig: edit);
        Assert.NotEqual(0, reference.ExitCode);
        Assert.All(words, w => Assert.Contains(w, reference.Stderr, StringComparison.Ordinal));
        var actual = runner.RunUnder(ContainerRunner.Csrunsc, ["true"], editConfig: edit);
        DifferentialAssert.FailsWithOneLine(actual, reference.ExitCode, words);
    }
}
