using Csrunsc.Tests.Differential;
using Csrunsc.Tests.Integration.Cri.V1;
using Xunit;

namespace Csrunsc.Tests.Integration.Cri;

/// <summary>
/// One sandbox per pod through containerd's CRI plugin: a pod that shares its process namespace
/// (shareProcessNamespace: NamespaceOptions.Pid = POD) runs all its containers in the pause
/// container's Sentry under csrunsc (as runsc does), in the pause container's namespaces under
/// runc. The guest-visible behaviour must be the same: the pod's SysV shm and POSIX queues, its
/// hostname and loopback are shared, each container exits with its own code, one container is
/// restarted (attempt 1) while another keeps running. runc is the oracle.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class CriPodSandboxTests(IntegrationFixture fixture)
{
    private static void SharedPid(NamespaceOption ns) => ns.Pid = NamespaceMode.Pod;

    /// <summary>A container of the pod sharing its pid namespace, with tests/progs/pod_share mounted at /pod_share.</summary>
    private static ContainerConfig App(string name, string podShare, params string[] command)
    {
        var config = CriSession.NewContainerConfig(name, command);
        SharedPid(config.Linux.SecurityContext.NamespaceOptions);
        config.Mounts.Add(new Mount { HostPath = podShare, ContainerPath = "/pod_share", Readonly = true });
        return config;
    }

    /// <summary>csrunsc sandbox processes (`csrunsc boot`) serving this pod's sandbox or containers.</summary>
    private static List<HostProcess> SentryProcesses(IEnumerable<string> ids) =>
        HostInspector.LiveProcesses(p => p.CommandLine.Contains(" boot ", StringComparison.Ordinal) && p.CommandLine.Contains("csrunsc", StringComparison.Ordinal)
                                         && ids.Any(id => p.CommandLine.Contains(id, StringComparison.Ordinal)));

    [CriTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public void PodContainersShareOneSandboxIpcHostnameAndLoopback(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var cri = new CriSession(session, fixture.Cri);
        var podShare = Path.Join(session.Runtime.ScratchDir, "pod_share");
        HostCommand.Run("gcc", "-static", "-O1", "-Wall", "-o", podShare, Path.Join(RepositoryLayout.ProgramsDir, "pod_share.c"));
        var pod = cri.RunPod("onesandbox", c => SharedPid(c.Linux.SecurityContext.NamespaceOptions));
        var host = pod.Config.Hostname;

        var keeper = cri.RunContainer(pod, App("keeper", podShare, "sleep", "1000"));
        cri.WaitForState(keeper, ContainerState.ContainerRunning);

        // Two app containers: SysV shm, a POSIX queue and 127.0.0.1 between them; exits 0 and 3.
        var serve = cri.RunContainer(pod, App("serve", podShare, "/pod_share", "serve"));
        var join = cri.RunContainer(pod, App("join", podShare, "/pod_share", "join"));
        var joined = cri.WaitForState(join, ContainerState.ContainerExited, TimeSpan.FromSeconds(30));
        var served = cri.WaitForState(serve, ContainerState.ContainerExited, TimeSpan.FromSeconds(30));
        var joinOut = CriSession.LoggedText(pod, "join", "stdout");
        var serveOut = CriSession.LoggedText(pod, "serve", "stdout");
        session.Check(joined.ExitCode == 3 && joinOut == $"join hostname {host}\njoin shm shm-from-serve\njoin mq mq-from-serve\njoin tcp echo:hello-over-localhost\n",
            $"the joining container should see the pod's hostname, the server's SysV segment and POSIX queue and reach it over 127.0.0.1, and exit 3: " +
            $"exit {joined.ExitCode}\n{CriSession.ReadLog(pod, "join")}");
        session.Check(served.ExitCode == 0 && serveOut == $"serve hostname {host}\nserve ready\nserve saw the joiner's mark: yes\n",
            $"the serving container should see the joiner's mark in the segment and exit 0: exit {served.ExitCode}\n{CriSession.ReadLog(pod, "serve")}");

        var ids = new List<string> { pod.Id, keeper, serve, join };
        if (runtime == IntegrationRuntimes.Csrunsc)
        {
            var sentries = SentryProcesses(ids);
            session.Check(sentries.Count == 1 && sentries[0].CommandLine.Contains(pod.Id, StringComparison.Ordinal),
                $"the pod should run in one Sentry, the pause container's; sandbox processes:\n  {string.Join("\n  ", sentries.Select(p => $"{p.Pid} {p.CommandLine}"))}");
        }

        // The pod's pid namespace: pid 1 is the pause container's init, seen from an app container.
        var pid1 = cri.ExecSync(keeper, ["sh", "-c", "hostname; tr '\\0' ' ' </proc/1/cmdline"]);
        session.Check(pid1.ExitCode == 0 && pid1.Stdout.ToStringUtf8().StartsWith(host + "\n/pause", StringComparison.Ordinal),
            $"exec in an app container should see the pod's hostname and the pause process as pid 1: exit {pid1.ExitCode}\n{pid1.Stdout.ToStringUtf8()}{pid1.Stderr.ToStringUtf8()}");

        // A restart (attempt 1) of one container while another keeps running.
        var other = cri.RunContainer(pod, App("other", podShare, "sleep", "1000"));
        cri.WaitForState(other, ContainerState.ContainerRunning);
        cri.Call("StopContainer", o => cri.Client.StopContainer(new StopContainerRequest { ContainerId = keeper, Timeout = 1 }, o));
        var stopped = cri.Status(keeper).Status;
        session.Check(stopped.State == ContainerState.ContainerExited && stopped.ExitCode is 137 or 143,
            $"StopContainer should end the keeper (sleep, not pid 1 of its pid namespace: SIGTERM ends it): {stopped.State}, exit code {stopped.ExitCode}");
        cri.Call("RemoveContainer", o => cri.Client.RemoveContainer(new RemoveContainerRequest { ContainerId = keeper }, o));
        var restartConfig = App("keeper", podShare, "sleep", "1000");
        restartConfig.Metadata.Attempt = 1;
        var restarted = cri.RunContainer(pod, restartConfig);
        cri.WaitForState(restarted, ContainerState.ContainerRunning);
        ids.Add(other);
        ids.Add(restarted);
        session.Check(cri.Status(other).Status.State == ContainerState.ContainerRunning,
            $"the other container should keep running through its neighbour's restart, is {cri.Status(other).Status.State}");
        var again = cri.ExecSync(restarted, ["hostname"]);
        session.Check(again.ExitCode == 0 && again.Stdout.ToStringUtf8() == host + "\n",
            $"the restarted container should see the pod's hostname: exit {again.ExitCode}, '{again.Stdout.ToStringUtf8()}{again.Stderr.ToStringUtf8()}'");

        var stats = cri.Call("ContainerStats", o => cri.Client.ContainerStats(new ContainerStatsRequest { ContainerId = other }, o)).Stats;
        session.Check(stats.Attributes.Id == other && stats.Cpu is not null && stats.Memory is not null,
            $"ContainerStats should name the container and give CPU and memory figures: {stats}");
        if (runtime == IntegrationRuntimes.Csrunsc)
        {
            var sentries = SentryProcesses(ids);
            session.Check(sentries.Count == 1, $"after the restart the pod should still run in one Sentry: {sentries.Count}");
        }

        cri.RemovePod(pod);
        cri.AssertNothingLeft();
    }
}
