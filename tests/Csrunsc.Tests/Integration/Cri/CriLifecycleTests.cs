using Csrunsc.Tests.Integration.Cri.V1;
using Xunit;

namespace Csrunsc.Tests.Integration.Cri;

/// <summary>
/// Pods and containers through containerd's CRI plugin as kubelet drives them (RunPodSandbox with
/// the runtime as the handler, CreateContainer/StartContainer, ContainerStatus, StopContainer,
/// RemoveContainer, StopPodSandbox, RemovePodSandbox), and ExecSync. runc is the oracle: both
/// runtimes must pass the same assertions.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class CriLifecycleTests(IntegrationFixture fixture)
{
    private CriSession Begin(IntegrationSession session) => new(session, fixture.Cri);

    [CriTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public void PodAndContainersLifecycleExitCodesLogsAndStats(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var cri = Begin(session);
        var pod = cri.RunPod("lifecycle");

        // A container that runs to completion: output in the CRI log, exit code and reason.
        var job = cri.CreateContainer(pod, CriSession.NewContainerConfig("job", "sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"));
        var created = cri.Status(job).Status;
        session.Check(created.State == ContainerState.ContainerCreated, $"a created container should be CONTAINER_CREATED, is {created.State}");
        cri.StartContainer(job);
        var exited = cri.WaitForState(job, ContainerState.ContainerExited);
        session.Check(exited.ExitCode == 3 && exited.Reason == "Error",
            $"`exit 3` should give exit code 3, reason Error; got exit code {exited.ExitCode}, reason '{exited.Reason}', message '{exited.Message}'");
        // (containerd stamps started_at when StartContainer returns, which can be after the exit it recorded.)
        session.Check(exited.StartedAt > 0 && exited.FinishedAt > 0,
            $"started_at {exited.StartedAt} and finished_at {exited.FinishedAt} should be set");
        session.Check(CriSession.LoggedText(pod, "job", "stdout") == "to-stdout\n" && CriSession.LoggedText(pod, "job", "stderr") == "to-stderr\n",
            $"the CRI log should hold stdout 'to-stdout' and stderr 'to-stderr' as separate streams:\n{CriSession.ReadLog(pod, "job")}");

        var ok = cri.RunContainer(pod, CriSession.NewContainerConfig("ok", "true"));
        var okExited = cri.WaitForState(ok, ContainerState.ContainerExited);
        session.Check(okExited.ExitCode == 0 && okExited.Reason == "Completed",
            $"`true` should give exit code 0, reason Completed; got {okExited.ExitCode}, '{okExited.Reason}'");

        // Two long-running containers side by side: one that handles SIGTERM, one that ignores it (PID 1).
        var trapper = cri.RunContainer(pod, CriSession.NewContainerConfig("trapper", "sh", "-c", "trap 'exit 7' TERM; echo trapping; sleep 1000 & wait"));
        var sleeper = cri.RunContainer(pod, CriSession.NewContainerConfig("sleeper", "sleep", "1000"));
        cri.WaitForState(trapper, ContainerState.ContainerRunning);
        cri.WaitForState(sleeper, ContainerState.ContainerRunning);
        var listed = cri.Call("ListContainers", o => cri.Client.ListContainers(new ListContainersRequest
        {
            Filter = new ContainerFilter { PodSandboxId = pod.Id, State = new ContainerStateValue { State = ContainerState.ContainerRunning } },
        }, o)).Containers.Select(c => c.Metadata.Name).Order().ToList();
        session.Check(listed.SequenceEqual(["sleeper", "trapper"]), $"ListContainers(pod, RUNNING) should list sleeper and trapper, lists [{string.Join(", ", listed)}]");

        var stats = cri.Call("ContainerStats", o => cri.Client.ContainerStats(new ContainerStatsRequest { ContainerId = sleeper }, o)).Stats;
        session.Check(stats.Attributes.Id == sleeper && stats.Cpu is not null && stats.Memory is not null && stats.Memory.WorkingSetBytes is not null,
            $"ContainerStats should name the container and give CPU and memory figures: {stats}");

        // resolv.conf and hostname as the pod config gave them.
        var resolv = cri.ExecSync(sleeper, ["cat", "/etc/resolv.conf"]);
        session.Check(resolv.ExitCode == 0 && resolv.Stdout.ToStringUtf8().Split('\n').Contains("nameserver 127.0.0.1"),
            $"the pod's /etc/resolv.conf should name 127.0.0.1 (DNSConfig): exit {resolv.ExitCode}\n{resolv.Stdout.ToStringUtf8()}{resolv.Stderr.ToStringUtf8()}");
        // The app container joins the pause container's UTS namespace: it sees the pod's hostname.
        var hostname = cri.ExecSync(sleeper, ["hostname"]);
        session.Check(hostname.ExitCode == 0 && hostname.Stdout.ToStringUtf8().Trim() == pod.Config.Hostname,
            $"an app container should see the pod's hostname {pod.Config.Hostname}: exit {hostname.ExitCode}\n{hostname.Stdout.ToStringUtf8()}{hostname.Stderr.ToStringUtf8()}");

        var stopClock = System.Diagnostics.Stopwatch.StartNew();
        cri.Call("StopContainer", o => cri.Client.StopContainer(new StopContainerRequest { ContainerId = trapper, Timeout = 20 }, o));
        var trapped = cri.Status(trapper).Status;
        session.Check(trapped.State == ContainerState.ContainerExited && trapped.ExitCode == 7 && stopClock.Elapsed < TimeSpan.FromSeconds(15),
            $"StopContainer of a container trapping SIGTERM with `exit 7` should return once it exited 7, long before the 20 s grace: " +
            $"{trapped.State}, exit code {trapped.ExitCode}, after {stopClock.Elapsed.TotalSeconds:F1}s");

        stopClock.Restart();
        cri.Call("StopContainer", o => cri.Client.StopContainer(new StopContainerRequest { ContainerId = sleeper, Timeout = 1 }, o));
        var killed = cri.Status(sleeper).Status;
        session.Check(killed.State == ContainerState.ContainerExited && killed.ExitCode == 137 && stopClock.Elapsed >= TimeSpan.FromSeconds(0.9),
            $"`sleep` as PID 1 ignores SIGTERM, so StopContainer(timeout 1) should SIGKILL it after ~1 s (exit code 137): " +
            $"{killed.State}, exit code {killed.ExitCode}, after {stopClock.Elapsed.TotalSeconds:F1}s");

        foreach (var id in new[] { job, ok, trapper, sleeper })
        {
            cri.Call("RemoveContainer", o => cri.Client.RemoveContainer(new RemoveContainerRequest { ContainerId = id }, o));
        }

        var remaining = cri.Call("ListContainers", o => cri.Client.ListContainers(new ListContainersRequest { Filter = new ContainerFilter { PodSandboxId = pod.Id } }, o));
        session.Check(remaining.Containers.Count == 0, $"after RemoveContainer of all four, ListContainers(pod) should be empty: {remaining}");
        cri.RemovePod(pod);
        cri.AssertNothingLeft();
    }

    [CriTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public void ExecSyncOutputExitCodesTimeoutAndRemovalOfARunningPod(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var cri = Begin(session);
        var pod = cri.RunPod("execsync");
        var app = cri.RunContainer(pod, CriSession.NewContainerConfig("app", "sleep", "1000"));
        cri.WaitForState(app, ContainerState.ContainerRunning);

        var result = cri.ExecSync(app, ["sh", "-c", "echo out-$((6*7)); echo err-line >&2; exit 5"]);
        session.Check(result.ExitCode == 5 && result.Stdout.ToStringUtf8() == "out-42\n" && result.Stderr.ToStringUtf8() == "err-line\n",
            $"ExecSync should return stdout 'out-42', stderr 'err-line' and exit code 5: exit {result.ExitCode}, " +
            $"stdout '{result.Stdout.ToStringUtf8()}', stderr '{result.Stderr.ToStringUtf8()}'");

        var big = cri.ExecSync(app, ["sh", "-c", "yes 0123456789abcdef | head -c 1048576 | md5sum"]);
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(
            System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("0123456789abcdef\n", 1048576 / 17 + 1)))[..1048576]));
        session.Check(big.ExitCode == 0 && big.Stdout.ToStringUtf8().StartsWith(expected, StringComparison.Ordinal),
            $"a 1 MiB pipeline inside ExecSync should hash to {expected}: exit {big.ExitCode}, '{big.Stdout.ToStringUtf8()}{big.Stderr.ToStringUtf8()}'");

        var missing = cri.CallFails("ExecSync /nonexistent", o => cri.Client.ExecSync(new ExecSyncRequest { ContainerId = app, Cmd = { "/nonexistent" }, Timeout = 10 }, o));
        session.Check(missing.Message.Contains("/nonexistent", StringComparison.Ordinal),
            $"ExecSync of a missing executable should fail naming it: {missing.Message}");

        // The CRI timeout ends the exec (containerd kills it) and reports an error.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var timedOut = cri.CallFails("ExecSync sleep 30 (timeout 1)", o => cri.Client.ExecSync(new ExecSyncRequest { ContainerId = app, Cmd = { "sleep", "30" }, Timeout = 1 }, o),
            TimeSpan.FromSeconds(25));
        session.Check(clock.Elapsed < TimeSpan.FromSeconds(15) && timedOut.Message.Contains("timeout", StringComparison.OrdinalIgnoreCase),
            $"ExecSync with timeout 1 of `sleep 30` should fail with a timeout within seconds, took {clock.Elapsed.TotalSeconds:F1}s: {timedOut.Message}");
        session.WaitFor(() => !cri.ExecSync(app, ["ps", "-o", "args"]).Stdout.ToStringUtf8().Contains("sleep 30", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), () => $"the timed-out `sleep 30` should have been killed; ps says:\n{cri.ExecSync(app, ["ps", "-o", "pid,args"]).Stdout.ToStringUtf8()}");

        // RemovePodSandbox of a pod whose container still runs: everything goes.
        cri.RemovePod(pod);
        cri.AssertNothingLeft();
    }
}
