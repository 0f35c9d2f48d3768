using Xunit;

namespace Csrunsc.Tests.Integration;

/// <summary>
/// A Kubernetes-style pod without a CRI client: `ctr run` through the runc v2 shim with the
/// annotations the CRI plugin sets (io.kubernetes.cri.container-type = sandbox | container,
/// io.kubernetes.cri.sandbox-id) and, for the app containers, the sandbox's ipc/uts/network
/// namespaces by path (/proc/SANDBOXPID/ns/*), as CRI generates them. The shim groups the
/// containers of a pod by sandbox-id (one shim serves the pod), exactly as under Kubernetes.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class ContainerdPodTests(IntegrationFixture fixture)
{
    /// <summary>Prints the container's ipc, uts, net and mnt namespace links, one a line.</summary>
    private const string PrintNamespaces = "for n in ipc uts net mnt; do readlink /proc/self/ns/$n; done";

    [ContainerdTheory]
    [MemberData(nameof(IntegrationRuntimes.All), MemberType = typeof(IntegrationRuntimes))]
    public void PodContainersShareTheSandboxNamespacesAndReportTheirOwnExits(string runtime)
    {
        using var session = fixture.Begin(runtime);
        var ctr = new ContainerdSession(session, fixture.Containerd);
        var sandbox = ctr.NewContainer("pod");
        var logs = Path.Join(session.Runtime.ScratchDir, "pod-logs");
        Directory.CreateDirectory(logs);
        string LogUri(string id) => "file://" + Path.Join(logs, id + ".log");
        string ReadLog(string id) => File.Exists(Path.Join(logs, id + ".log")) ? File.ReadAllText(Path.Join(logs, id + ".log")) : "";
        session.AddDiagnostics(() => $"--- container logs ({logs}) ---\n" +
            string.Join('\n', Directory.GetFiles(logs).Select(f => $"{Path.GetFileName(f)}:\n{File.ReadAllText(f)}")));

        session.ExpectSuccess(ctr.Run(
            ["-d", "--log-uri", LogUri(sandbox),
             "--annotation", "io.kubernetes.cri.container-type=sandbox",
             "--annotation", $"io.kubernetes.cri.sandbox-id={sandbox}",
             "--annotation", "io.kubernetes.cri.sandbox-name=testpod",
             "--annotation", "io.kubernetes.cri.sandbox-namespace=default"],
            sandbox, "sh", "-c", PrintNamespaces + "; exec sleep 1000"), "ctr run -d (pod sandbox)");
        var sandboxPid = ctr.WaitForStatus(sandbox, "RUNNING");
        ctr.TrackPid(sandboxPid);

        string[] AppOptions(string name) =>
        [
            "--annotation", "io.kubernetes.cri.container-type=container",
            "--annotation", $"io.kubernetes.cri.sandbox-id={sandbox}",
            "--annotation", $"io.kubernetes.cri.container-name={name}",
            "--with-ns", $"ipc:/proc/{sandboxPid}/ns/ipc",
            "--with-ns", $"uts:/proc/{sandboxPid}/ns/uts",
            "--with-ns", $"network:/proc/{sandboxPid}/ns/net",
        ];

        var app = ctr.NewContainer("app");
        session.ExpectSuccess(ctr.Run(["-d", "--log-uri", LogUri(app), .. AppOptions("app")], app,
            "sh", "-c", PrintNamespaces + "; trap 'exit 7' TERM; sleep 1000 & wait"), "ctr run -d (app container in the pod)");
        var appPid = ctr.WaitForStatus(app, "RUNNING");
        ctr.TrackPid(appPid);
        session.Check(appPid != sandboxPid, $"the app container reports the sandbox's pid {sandboxPid}: two containers must never report the same pid");
        session.Check(HostInspector.IsAlive(appPid), $"the app container's pid {appPid} is not a live host process");

        session.WaitFor(() => ReadLog(sandbox).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length >= 4
                              && ReadLog(app).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length >= 4,
            TimeSpan.FromSeconds(10), () =>
                "both containers should print their ipc/uts/net/mnt namespace links through the shim's log file " +
                $"(--log-uri file://...; empty means their stdout/stderr never arrived).\nsandbox printed: [{ReadLog(sandbox)}]\napp printed: [{ReadLog(app)}]");
        var sandboxNs = ReadLog(sandbox).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var appNs = ReadLog(app).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < 3; i++)
        {
            session.Check(sandboxNs[i] == appNs[i], $"the app container should share the sandbox's {sandboxNs[i].Split(':')[0]} namespace: sandbox {sandboxNs[i]}, app {appNs[i]}");
        }

        session.Check(sandboxNs[3] != appNs[3], $"the app container should have its own mount namespace, both have {appNs[3]}");

        // A second app container in the same pod, run to completion: its own exit status arrives.
        var job = ctr.NewContainer("job");
        session.Expect(ctr.Run(["--rm", .. AppOptions("job")], job, "sh", "-c", "echo job-ran; exit 4"), 4,
            "ctr run --rm (second app container in the pod) sh -c 'exit 4'");

        session.ExpectSuccess(ctr.Ctr("task", "kill", "-s", "SIGTERM", app), "ctr task kill -s SIGTERM (app)");
        ctr.WaitForStatus(app, "STOPPED");
        var appRemoved = ctr.Remove(app);
        session.Check(appRemoved.Contains("exit code 7", StringComparison.Ordinal),
            $"ctr task rm of the app should report its exit code 7, said: {appRemoved}");
        session.Check(ctr.Task(sandbox)?.Status == "RUNNING", $"the sandbox should outlive its app container, but it is {ctr.Task(sandbox)?.Status ?? "gone"}");

        session.ExpectSuccess(ctr.Ctr("task", "kill", "-s", "SIGKILL", sandbox), "ctr task kill -s SIGKILL (sandbox)");
        ctr.WaitForStatus(sandbox, "STOPPED");
        var sandboxRemoved = ctr.Remove(sandbox);
        session.Check(sandboxRemoved.Contains("exit code 137", StringComparison.Ordinal),
            $"ctr task rm of the sandbox should report exit code 137, said: {sandboxRemoved}");
        ctr.AssertNothingLeft();
    }
}
