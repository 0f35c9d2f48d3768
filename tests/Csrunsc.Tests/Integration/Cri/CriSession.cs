using System.Text.Json.Nodes;
using Csrunsc.Tests.Integration.Cri.V1;
using Grpc.Core;

namespace Csrunsc.Tests.Integration.Cri;

/// <summary>A pod sandbox a test made: its id, the config it was made with (CreateContainer needs it again), its IP.</summary>
public sealed record CriPod(string Id, string Name, PodSandboxConfig Config, string Ip, string LogDirectory);

/// <summary>
/// An <see cref="IntegrationSession"/> that talks CRI to the fixture's containerd as kubelet would,
/// with the runtime under test as the pods' runtime handler (`runc` or `csrunsc`). Every call has
/// the runtime's timeout and fails the test with the call, containerd's message, the runtime calls
/// and containerd's log. Pods are force-removed at the end of the test; <see cref="AssertNothingLeft"/>
/// checks that the pods, containers, addresses, network namespaces, bridge ports, processes and
/// mounts they had are gone.
/// </summary>
public sealed class CriSession
{
    private readonly List<string> _pods = [];
    private readonly List<string> _containers = [];
    private readonly List<int> _pids = [];
    private readonly List<string> _addresses = [];
    private readonly List<string> _netns = [];

    public CriSession(IntegrationSession session, CriEnvironment cri)
    {
        Session = session;
        Cri = cri;
        Ctr = new ContainerdSession(session, cri.Containerd);
        LogRoot = Path.Join(session.Runtime.ScratchDir, "cri-logs");
        Directory.CreateDirectory(LogRoot);
        session.AddDiagnostics(ContainerLogs);
    }

    public IntegrationSession Session { get; }
    public CriEnvironment Cri { get; }

    /// <summary>The `ctr` view of the same containerd (for containerd's log in failures and its leftover checks).</summary>
    public ContainerdSession Ctr { get; }

    public RuntimeUnderTest Runtime => Session.Runtime;
    public RuntimeService.RuntimeServiceClient Client => Cri.Client.Runtime;

    /// <summary>Where the pods' container logs go (PodSandboxConfig.log_directory = LogRoot/POD).</summary>
    public string LogRoot { get; }

    /// <summary>Runs one CRI call with the runtime's timeout; a failure fails the test.</summary>
    public T Call<T>(string what, Func<CallOptions, T> call, TimeSpan? timeout = null)
    {
        try
        {
            return CriClient.Call(what, timeout ?? Runtime.OperationTimeout, call);
        }
        catch (CriCallException e)
        {
            if (e.StatusCode == StatusCode.DeadlineExceeded)
            {
                Runtime.NoteTimeout();
            }

            Session.Fail(e.Message);
            throw new System.Diagnostics.UnreachableException();
        }
    }

    /// <summary>Runs one CRI call that is expected to fail; returns the failure (fails the test if it succeeded).</summary>
    public CriCallException CallFails<T>(string what, Func<CallOptions, T> call, TimeSpan? timeout = null)
    {
        try
        {
            var result = CriClient.Call(what, timeout ?? Runtime.OperationTimeout, call);
            Session.Fail($"CRI {what} should have failed, but it returned {result}");
            throw new System.Diagnostics.UnreachableException();
        }
        catch (CriCallException e)
        {
            return e;
        }
    }

    /// <summary>The pod config kubelet would send, with a name unique in the run, DNS pointed at 127.0.0.1.</summary>
    public PodSandboxConfig NewPodConfig(string prefix)
    {
        var name = Session.NewId(prefix);
        return new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = name, Uid = Guid.NewGuid().ToString(), Namespace = "csrunsc-it", Attempt = 0 },
            Hostname = name,
            LogDirectory = Path.Join(LogRoot, name),
            DnsConfig = new DNSConfig { Servers = { "127.0.0.1" }, Searches = { "csrunsc-it.invalid" }, Options = { "ndots:1" } },
            Labels = { ["csrunsc-it"] = Environment.ProcessId.ToString() },
            Linux = new LinuxPodSandboxConfig
            {
                SecurityContext = new LinuxSandboxSecurityContext
                {
                    // As kubelet sends them: the pod's network and IPC, a pid namespace per container.
                    NamespaceOptions = new NamespaceOption { Network = NamespaceMode.Pod, Pid = NamespaceMode.Container, Ipc = NamespaceMode.Pod },
                },
            },
        };
    }

    /// <summary>RunPodSandbox with the runtime under test; checks that the pod is ready with an address of our network.</summary>
    public CriPod RunPod(string prefix, Action<PodSandboxConfig>? customize = null)
    {
        var config = NewPodConfig(prefix);
        customize?.Invoke(config);
        Directory.CreateDirectory(config.LogDirectory);
        var id = Call("RunPodSandbox", o => Client.RunPodSandbox(new RunPodSandboxRequest { Config = config, RuntimeHandler = Runtime.Name }, o)).PodSandboxId;
        _pods.Add(id);
        Session.OnCleanup(() => ForceRemovePod(id));

        var status = Call("PodSandboxStatus", o => Client.PodSandboxStatus(new PodSandboxStatusRequest { PodSandboxId = id, Verbose = true }, o));
        var info = ParseInfo(status.Info);
        if (info?["pid"]?.GetValue<int>() is int pid and > 0)
        {
            _pids.Add(pid);
        }

        if (info?["runtimeSpec"]?["linux"]?["namespaces"] is JsonArray namespaces)
        {
            _netns.AddRange(namespaces.Where(n => n?["type"]?.GetValue<string>() == "network" && n["path"] is not null)
                .Select(n => n!["path"]!.GetValue<string>()));
        }

        var ip = status.Status.Network?.Ip ?? "";
        if (ip.Length > 0)
        {
            _addresses.Add(ip);
        }

        Session.Check(status.Status.State == PodSandboxState.SandboxReady,
            $"pod {config.Metadata.Name} ({id}) should be SANDBOX_READY after RunPodSandbox, is {status.Status.State}");
        Session.Check(status.Status.RuntimeHandler == Runtime.Name,
            $"pod {id} reports runtime handler '{status.Status.RuntimeHandler}', expected '{Runtime.Name}'");
        var prefix24 = Cri.Network.Subnet[..Cri.Network.Subnet.LastIndexOf('.')] + ".";
        Session.Check(ip.StartsWith(prefix24, StringComparison.Ordinal),
            $"pod {id} should have an address in the test's pod network {Cri.Network.Subnet}, has '{ip}'");
        return new CriPod(id, config.Metadata.Name, config, ip, config.LogDirectory);
    }

    /// <summary>A container config for the busybox image running <paramref name="command"/>, logging to NAME.log.</summary>
    public static ContainerConfig NewContainerConfig(string name, params string[] command) => new()
    {
        Metadata = new ContainerMetadata { Name = name, Attempt = 0 },
        Image = new ImageSpec { Image = ContainerdDaemon.ImageName },
        Command = { command },
        LogPath = name + ".log",
        Linux = new LinuxContainerConfig
        {
            SecurityContext = new LinuxContainerSecurityContext
            {
                NamespaceOptions = new NamespaceOption { Network = NamespaceMode.Pod, Pid = NamespaceMode.Container, Ipc = NamespaceMode.Pod },
            },
        },
    };

    /// <summary>CreateContainer in <paramref name="pod"/>; returns its id.</summary>
    public string CreateContainer(CriPod pod, ContainerConfig config)
    {
        var id = Call($"CreateContainer {config.Metadata.Name}",
            o => Client.CreateContainer(new CreateContainerRequest { PodSandboxId = pod.Id, Config = config, SandboxConfig = pod.Config }, o)).ContainerId;
        _containers.Add(id);
        return id;
    }

    /// <summary>StartContainer; remembers its process for the leftover check.</summary>
    public void StartContainer(string id)
    {
        Call("StartContainer", o => Client.StartContainer(new StartContainerRequest { ContainerId = id }, o));
        var (_, info) = Status(id);
        if (info?["pid"]?.GetValue<int>() is int pid and > 0)
        {
            _pids.Add(pid);
        }
    }

    /// <summary>CreateContainer + StartContainer.</summary>
    public string RunContainer(CriPod pod, ContainerConfig config)
    {
        var id = CreateContainer(pod, config);
        StartContainer(id);
        return id;
    }

    /// <summary>ContainerStatus (verbose): the status and containerd's info JSON (pid, runtimeSpec, ...).</summary>
    public (ContainerStatus Status, JsonNode? Info) Status(string id)
    {
        var response = Call("ContainerStatus", o => Client.ContainerStatus(new ContainerStatusRequest { ContainerId = id, Verbose = true }, o));
        return (response.Status, ParseInfo(response.Info));
    }

    /// <summary>Polls ContainerStatus until the container is in <paramref name="state"/>.</summary>
    public ContainerStatus WaitForState(string id, ContainerState state, TimeSpan? timeout = null)
    {
        ContainerStatus? status = null;
        Session.WaitFor(() => (status = Status(id).Status).State == state, timeout ?? TimeSpan.FromSeconds(15),
            () => $"container {status?.Metadata?.Name} ({id}) is {status?.State}, expected {state} (reason '{status?.Reason}', message '{status?.Message}')");
        return status!;
    }

    /// <summary>ExecSync with a CRI-side timeout of <paramref name="timeoutSeconds"/>.</summary>
    public ExecSyncResponse ExecSync(string id, string[] command, int timeoutSeconds = 10) =>
        Call($"ExecSync {string.Join(' ', command.Select(Shell.Quote))}",
            o => Client.ExecSync(new ExecSyncRequest { ContainerId = id, Cmd = { command }, Timeout = timeoutSeconds }, o),
            TimeSpan.FromSeconds(timeoutSeconds) + Runtime.OperationTimeout);

    /// <summary>Exec, then opens the stream it returned.</summary>
    public async Task<CriStream> ExecAsync(string id, string[] command, bool tty, bool stdin)
    {
        var url = Call("Exec", o => Client.Exec(new ExecRequest
        {
            ContainerId = id, Cmd = { command }, Tty = tty, Stdin = stdin, Stdout = true, Stderr = !tty,
        }, o)).Url;
        return await OpenStream(url);
    }

    /// <summary>Attach, then opens the stream it returned.</summary>
    public async Task<CriStream> AttachAsync(string id, bool tty, bool stdin)
    {
        var url = Call("Attach", o => Client.Attach(new AttachRequest { ContainerId = id, Tty = tty, Stdin = stdin, Stdout = true, Stderr = !tty }, o)).Url;
        return await OpenStream(url);
    }

    /// <summary>The CRI log (`TIME STREAM P|F TEXT` lines) of container <paramref name="name"/> of <paramref name="pod"/>.</summary>
    public static string ReadLog(CriPod pod, string name)
    {
        var path = Path.Join(pod.LogDirectory, name + ".log");
        return File.Exists(path) ? File.ReadAllText(path) : "";
    }

    /// <summary>The text a container wrote to <paramref name="stream"/> ("stdout"/"stderr"), from its CRI log.</summary>
    public static string LoggedText(CriPod pod, string name, string stream)
    {
        var text = new System.Text.StringBuilder();
        foreach (var line in ReadLog(pod, name).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ', 4);
            if (fields.Length >= 3 && fields[1] == stream)
            {
                text.Append(fields.Length == 4 ? fields[3] : "").Append(fields[2] == "F" ? "\n" : "");
            }
        }

        return text.ToString();
    }

    /// <summary>StopPodSandbox (NOTREADY after it) then RemovePodSandbox (gone after it).</summary>
    public void RemovePod(CriPod pod)
    {
        Call("StopPodSandbox", o => Client.StopPodSandbox(new StopPodSandboxRequest { PodSandboxId = pod.Id }, o));
        var stopped = Call("PodSandboxStatus", o => Client.PodSandboxStatus(new PodSandboxStatusRequest { PodSandboxId = pod.Id }, o));
        Session.Check(stopped.Status.State == PodSandboxState.SandboxNotready,
            $"pod {pod.Name} should be SANDBOX_NOTREADY after StopPodSandbox, is {stopped.Status.State}");
        Call("RemovePodSandbox", o => Client.RemovePodSandbox(new RemovePodSandboxRequest { PodSandboxId = pod.Id }, o));
        var gone = CallFails("PodSandboxStatus (removed pod)", o => Client.PodSandboxStatus(new PodSandboxStatusRequest { PodSandboxId = pod.Id }, o));
        Session.Check(gone.StatusCode == StatusCode.NotFound, $"PodSandboxStatus of a removed pod should fail with NotFound: {gone.Message}");
    }

    /// <summary>
    /// Checks that nothing of the test's pods is left: not listed by CRI, addresses released by
    /// host-local, network namespaces unmounted, no port on the bridge, and (as for ctr) no
    /// process, shim or mount.
    /// </summary>
    public void AssertNothingLeft()
    {
        var pods = Call("ListPodSandbox", o => Client.ListPodSandbox(new ListPodSandboxRequest(), o)).Items.Select(p => p.Id).ToHashSet();
        var listedPods = _pods.Where(pods.Contains).ToList();
        Session.Check(listedPods.Count == 0, $"pods still listed by ListPodSandbox: {string.Join(", ", listedPods)}");
        var containers = Call("ListContainers", o => Client.ListContainers(new ListContainersRequest(), o)).Containers.Select(c => c.Id).ToHashSet();
        var listedContainers = _containers.Where(containers.Contains).ToList();
        Session.Check(listedContainers.Count == 0, $"containers still listed by ListContainers: {string.Join(", ", listedContainers)}");

        List<string> network = [];
        var clean = HostInspector.WaitUntil(() =>
        {
            network = NetworkLeftovers();
            return network.Count == 0;
        }, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200));
        Session.Check(clean, "left behind by the pods' network:\n  " + string.Join("\n  ", network));

        Session.AssertNothingLeft([.. _pods, .. _containers], _pids,
            [Runtime.ScratchDir, Path.GetDirectoryName(Runtime.Binary)!, Cri.Containerd.Dir, Cri.Containerd.RunDir],
            exceptPid: Cri.Containerd.Pid);
    }

    private List<string> NetworkLeftovers()
    {
        var leftovers = new List<string>();
        var allocated = Cri.Network.AllocatedAddresses;
        leftovers.AddRange(_addresses.Where(allocated.Contains).Select(a => $"address {a} still allocated ({Cri.Network.IpamDir})"));
        leftovers.AddRange(_netns.Where(p => File.Exists(p) || HostInspector.MountsUnder(p).Count > 0).Select(p => $"network namespace {p}"));
        var ports = $"/sys/class/net/{Cri.Network.BridgeName}/brif";
        if (Directory.Exists(ports))
        {
            leftovers.AddRange(Directory.GetFileSystemEntries(ports).Select(p => $"bridge port {Path.GetFileName(p)} on {Cri.Network.BridgeName}"));
        }

        return leftovers;
    }

    private async Task<CriStream> OpenStream(string url)
    {
        try
        {
            return await CriStream.OpenAsync(url, TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException e)
        {
            Session.Fail(e.Message);
            throw new System.Diagnostics.UnreachableException();
        }
    }

    private void ForceRemovePod(string id)
    {
        var quick = CriClient.Within(TimeSpan.FromSeconds(30));
        try
        {
            Client.StopPodSandbox(new StopPodSandboxRequest { PodSandboxId = id }, quick);
            Client.RemovePodSandbox(new RemovePodSandboxRequest { PodSandboxId = id }, CriClient.Within(TimeSpan.FromSeconds(30)));
        }
        catch (RpcException)
        {
            // The fixture's teardown removes what is left.
        }
    }

    private string ContainerLogs()
    {
        var text = new System.Text.StringBuilder($"--- CRI container logs ({LogRoot}) ---\n");
        foreach (var file in Directory.GetFiles(LogRoot, "*.log", SearchOption.AllDirectories).Order())
        {
            var content = File.ReadAllText(file);
            text.Append($"{Path.GetRelativePath(LogRoot, file)}:\n{(content.Length > 3000 ? "..." + content[^3000..] : content)}\n");
        }

        return text.ToString();
    }

    private static JsonNode? ParseInfo(Google.Protobuf.Collections.MapField<string, string> info)
    {
        try
        {
            return info.TryGetValue("info", out var json) ? JsonNode.Parse(json) : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
