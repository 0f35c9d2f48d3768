using Csrunsc.Tests.Differential;
using Csrunsc.Tests.Integration.Cri.V1;

namespace Csrunsc.Tests.Integration.Cri;

/// <summary>
/// What the CRI tests add to the fixture's containerd, made once per run on first use: the pod
/// network (<see cref="CniNetwork"/>, its config written into containerd's conf_dir), the pause
/// image (tests/assets/integration/pause.c compiled static into a busybox image, imported into
/// the k8s.io namespace as the sandbox_image), and a <see cref="CriClient"/> on containerd's
/// socket, ready once the CRI plugin reports RuntimeReady and NetworkReady.
/// <see cref="Dispose"/> stops and removes every pod sandbox still listed (so that CNI releases
/// the addresses and veths), then the network.
/// </summary>
public sealed class CriEnvironment : IDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(20);

    public CriEnvironment(ContainerdDaemon containerd, string scratchDir)
    {
        Containerd = containerd;
        Network = new CniNetwork(containerd.CniConfDir, Path.Join(scratchDir, "cni"));
        try
        {
            var pause = Path.Join(scratchDir, "pause");
            Shell.Run(TimeSpan.FromMinutes(1), "gcc", ["-static", "-O1", "-Wall", "-o", pause, Path.Join(RepositoryLayout.AssetsDir, "integration", "pause.c")])
                .EnsureSuccess("gcc -static pause.c");
            var tarball = Path.Join(scratchDir, "pause-image.tar");
            Shell.Run(TimeSpan.FromMinutes(2), "bash",
                [Path.Join(RepositoryLayout.AssetsDir, "make-busybox-image.sh"), "--add", pause + ":/pause", "--cmd", "[\"/pause\"]", tarball, ContainerdDaemon.PauseImageName])
                .EnsureSuccess("make-busybox-image.sh (pause image)");
            containerd.Ctr(TimeSpan.FromMinutes(1), "-n", "k8s.io", "image", "import", tarball).EnsureSuccess("ctr -n k8s.io image import (pause image)");

            Client = new CriClient(containerd.Address);
            var version = CriClient.Call("Version", TimeSpan.FromSeconds(10), o => Client.Runtime.Version(new VersionRequest { Version = "v1" }, o));
            RuntimeVersion = $"{version.RuntimeName} {version.RuntimeVersion} (CRI {version.RuntimeApiVersion})";
            WaitUntilReady();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public ContainerdDaemon Containerd { get; }
    public CniNetwork Network { get; }
    public CriClient Client { get; private set; } = null!;

    /// <summary>What Version said, e.g. "containerd 1.6.20~ds1 (CRI v1)".</summary>
    public string RuntimeVersion { get; } = "";

    public void Dispose()
    {
        if (Client is not null)
        {
            try
            {
                var pods = Client.Runtime.ListPodSandbox(new ListPodSandboxRequest(), CriClient.Within(TimeSpan.FromSeconds(10)));
                foreach (var pod in pods.Items)
                {
                    try
                    {
                        Client.Runtime.StopPodSandbox(new StopPodSandboxRequest { PodSandboxId = pod.Id }, CriClient.Within(TimeSpan.FromSeconds(30)));
                        Client.Runtime.RemovePodSandbox(new RemovePodSandboxRequest { PodSandboxId = pod.Id }, CriClient.Within(TimeSpan.FromSeconds(30)));
                    }
                    catch (Grpc.Core.RpcException)
                    {
                        // The fixture's containerd teardown kills what is left.
                    }
                }
            }
            catch (Grpc.Core.RpcException)
            {
            }

            Client.Dispose();
        }

        // Without the config containerd reports NetworkReady=false; nothing else reads it.
        foreach (var file in Directory.GetFiles(Network.ConfDir))
        {
            File.Delete(file);
        }

        Network.Dispose();
    }

    /// <summary>Waits for RuntimeReady and NetworkReady (containerd loads the CNI config we just wrote asynchronously).</summary>
    private void WaitUntilReady()
    {
        StatusResponse? status = null;
        var ready = HostInspector.WaitUntil(() =>
        {
            status = CriClient.Call("Status", TimeSpan.FromSeconds(10), o => Client.Runtime.Status(new StatusRequest(), o));
            return status.Status.Conditions.Count > 0 && status.Status.Conditions.All(c => c.Status);
        }, ReadyTimeout, TimeSpan.FromMilliseconds(200));
        if (!ready)
        {
            throw new InvalidOperationException(
                $"containerd's CRI plugin did not become ready within {ReadyTimeout.TotalSeconds:F0}s: " +
                string.Join("; ", status?.Status.Conditions.Select(c => $"{c.Type}={c.Status} {c.Reason} {c.Message}") ?? []) +
                $"\n(CNI config in {Network.ConfDir}, plugins in {CniNetwork.PluginDir})\n--- containerd log ---\n{Containerd.Log}");
        }
    }
}
