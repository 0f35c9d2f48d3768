using System.Diagnostics;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// Proof that guest code really runs under the Sentry: the guest's host process is ptraced by a
/// csrunsc sandbox ("csrunsc ... boot ...") process, and the kernel the guest sees is not the host's.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class InterceptionTests(DifferentialFixture fixture)
{
    private static readonly TimeSpan FindTimeout = TimeSpan.FromSeconds(10);

    [RootRequiredFact]
    public void GuestProcessIsTracedByTheSandbox()
    {
        var runner = fixture.Runner;
        var id = runner.NewContainerId(ContainerRunner.Csrunsc);
        var bundle = runner.CreateBundle(id, ["sleep", "3"]);
        using var container = runner.Start(ContainerRunner.Csrunsc, bundle, id);

        HostProcess? traced = null;
        HostProcess? tracer = null;
        var clock = Stopwatch.StartNew();
        while (traced is null && clock.Elapsed < FindTimeout && !container.Process.HasExited)
        {
            (traced, tracer) = FindTracedGuest(container);
            if (traced is null)
            {
                Thread.Sleep(100);
            }
        }

        var foundDescription = traced is null
            ? "none"
            : $"guest {traced.Pid} ({traced.CommandLine}) traced by {tracer!.Pid} ({tracer.CommandLine})";
        var result = container.WaitForExit(ContainerRunner.DefaultTimeout);
        Assert.True(traced is not null, $"no process traced by a csrunsc boot process was found for container {id}:\n{result}");
        Assert.True(result.ExitCode == 0, $"`sleep 3` failed under csrunsc ({foundDescription}):\n{result}");
    }

    [RootRequiredFact]
    public void GuestSeesTheSentryKernelNotTheHost()
    {
        var hostRelease = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        var result = fixture.Runner.RunUnder(ContainerRunner.Csrunsc, ["uname", "-r"]);
        Assert.True(result.ExitCode == 0 && !result.TimedOut, $"uname -r failed under csrunsc:\n{result}");
        Assert.NotEqual("", result.Stdout.Trim());
        Assert.NotEqual(hostRelease, result.Stdout.Trim());
    }

    private static (HostProcess? Traced, HostProcess? Tracer) FindTracedGuest(StartedContainer container)
    {
        var processes = HostProcess.ListAll();
        var byPid = processes.ToDictionary(p => p.Pid);
        foreach (var process in processes)
        {
            if (process.TracerPid == 0 || !byPid.TryGetValue(HostProcess.ThreadGroupOf(process.TracerPid), out var tracer))
            {
                continue;
            }

            var isSandbox = tracer.CommandLine.Contains("csrunsc", StringComparison.Ordinal)
                && tracer.CommandLine.Contains("boot", StringComparison.Ordinal);
            var belongsToContainer = tracer.CommandLine.Contains(container.ContainerId, StringComparison.Ordinal)
                || tracer.Pid == container.Process.Id
                || tracer.IsDescendantOf(container.Process.Id);
            if (isSandbox && belongsToContainer)
            {
                return (process, tracer);
            }
        }

        return (null, null);
    }
}
