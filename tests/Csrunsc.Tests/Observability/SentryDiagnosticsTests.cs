using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Csrunsc.Tests.Differential;
using Microsoft.Diagnostics.Tracing;
using Xunit;

namespace Csrunsc.Tests.Observability;

/// <summary>
/// `csrunsc debug ID --stacks | --counters | --trace | --dump` on a running container: the Sentry
/// process through its .NET diagnostics IPC endpoint (in the container's state directory).
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class SentryDiagnosticsTests(DifferentialFixture fixture)
{
    private static (int Exit, string Output) Cli(string root, params string[] args)
    {
        var psi = new ProcessStartInfo(ContainerRunner.ResolveRuntime(ContainerRunner.Csrunsc)) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("--root");
        psi.ArgumentList.Add(root);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string o = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(60000)) p.Kill();
        return (p.HasExited ? p.ExitCode : -1, o + err.Result);
    }

    /// <summary>Starts ARGS under csrunsc, waits until `debug --ps` lists marker, runs check, then kills the container.</summary>
    private void WhileRunning(string[] args, string marker, Action<string, string> check)
    {
        string id = fixture.Runner.NewContainerId(ContainerRunner.Csrunsc);
        string bundle = fixture.Runner.CreateBundle(id, args);
        string root = fixture.StateRootFor(ContainerRunner.Csrunsc);
        using var c = fixture.Runner.Start(ContainerRunner.Csrunsc, bundle, id);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20) && !Cli(root, "debug", id, "--ps").Output.Contains(marker, StringComparison.Ordinal))
            Thread.Sleep(100);
        check(id, root);
    }

    [RootRequiredFact]
    public void StacksNameABlockedTasksSyscall()
    {
        WhileRunning(["sh", "-c", "sleep 20; echo done"], "sleep", (id, root) =>
        {
            Thread.Sleep(300);
            var (exit, output) = Cli(root, "debug", id, "--stacks");
            Assert.True(exit == 0, output);
            Assert.Contains("managed stacks are not available", output, StringComparison.Ordinal);
            // The Sentry thread serving sleep (named task-TID) is blocked in the host kernel, and the
            // task table says which guest syscall it is serving.
            Assert.Matches(@"(?m)^\d+\ttask-\d+\t[SD]\t\S+\tguest tid \d+ \(pid \d+, sleep\): in syscall (clock_)?nanosleep\(.* for \d+ ms$", output);
            Assert.Matches(@"(?m)^\d+\ttask-1\t[SD]\t\S+\tguest tid 1 \(pid 1, sh\): in syscall wait4\(", output);
            Assert.Matches(@"(?m)^\d+\tcontrol\t", output);
        });
    }

    private static Dictionary<string, double> Sample(string block)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (Match m in Regex.Matches(block, @"(?m)^\s+.+?\s+(-?[\d.]+)  \[([\w-]+)\]$"))
            values[m.Groups[2].Value] = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return values;
    }

    [RootRequiredFact]
    public void CountersMoveUnderLoad()
    {
        WhileRunning(["/bin/getpid_loop", "2000000000"], "getpid_loop", (id, root) =>
        {
            var (exit, output) = Cli(root, "debug", id, "--counters", "--interval", "1", "--samples", "2");
            Assert.True(exit == 0, output);
            var blocks = Regex.Split(output, @"(?m)^\d\d:\d\d:\d\d$").Where(b => b.Trim().Length > 0).ToList();
            Assert.True(blocks.Count == 2, output);
            foreach (var block in blocks)
            {
                Assert.Contains("[Csrunsc-Sentry]", block, StringComparison.Ordinal);
                var v = Sample(block);
                Assert.True(v.TryGetValue("syscalls", out double rate) && rate > 1000, output); // getpid calls per second
                Assert.True(v.GetValueOrDefault("tasks") >= 1, output);
                Assert.True(v.GetValueOrDefault("memory-file-bytes") > 0, output);
                Assert.True(v.ContainsKey("faults") && v.ContainsKey("gofer-round-trips"), output);
            }
        });
    }

    [RootRequiredFact]
    public void TraceIsANettraceThatTraceEventReads()
    {
        WhileRunning(["/bin/getpid_loop", "2000000000"], "getpid_loop", (id, root) =>
        {
            string file = Path.Join(Path.GetTempPath(), id + ".nettrace");
            try
            {
                var (exit, output) = Cli(root, "debug", id, "--trace", "2", "--out", file);
                Assert.True(exit == 0, output);
                var counters = new List<(string Name, double Value)>();
                using (var source = new EventPipeEventSource(file))
                {
                    source.Dynamic.All += e =>
                    {
                        if (e.ProviderName != "Csrunsc-Sentry" || e.EventName != "EventCounters") return;
                        // As dotnet-counters reads them: field 0 is a struct holding "Payload".
                        if (e.PayloadValue(0) is not IDictionary<string, object> outer || outer["Payload"] is not IDictionary<string, object> p) return;
                        double value = p.TryGetValue("Increment", out var inc) ? Convert.ToDouble(inc, CultureInfo.InvariantCulture)
                            : Convert.ToDouble(p["Mean"], CultureInfo.InvariantCulture);
                        counters.Add(((string)p["Name"], value));
                    };
                    source.Process();
                }
                Assert.Contains(counters, c => c.Name == "syscalls" && c.Value > 1000);
                Assert.Contains(counters, c => c.Name == "tasks" && c.Value >= 1);
            }
            finally
            {
                File.Delete(file);
            }
        });
    }

    [RootRequiredFact]
    public void DumpSaysWhatNativeAotLacksAndWritesTheStateViews()
    {
        WhileRunning(["sh", "-c", "sleep 20; echo done"], "sleep", (id, root) =>
        {
            string file = Path.Join(Path.GetTempPath(), id + ".dump");
            try
            {
                var (exit, output) = Cli(root, "debug", id, "--dump", file);
                Assert.True(exit == 0, output);
                Assert.Contains("NativeAOT", output, StringComparison.Ordinal);
                string text = File.ReadAllText(file);
                Assert.Contains("## tasks", text, StringComparison.Ordinal);
                Assert.Matches(@"(?m)^## fds 1 \(sh\)$", text);
                Assert.Matches(@"(?m)^1\t1\t\d+\tsh\tin syscall wait4\(", text);
            }
            finally
            {
                File.Delete(file);
            }
        });
    }
}
