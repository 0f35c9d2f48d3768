using Csrunsc.Tests.Differential;

namespace Csrunsc.Tests.Integration;

/// <summary>
/// Built once per test run, lazily (skipped runs cost nothing): a scratch directory
/// (/tmp/csrunsc-it-*), a run directory (/run/csrunsc-it-PID) for containerd's state and sockets,
/// the busybox OCI image tarball (tests/assets/make-busybox-image.sh), the runtimes under test
/// (wrapped for call logging), a private containerd and a private podman, and for the CRI tests
/// the pod network, pause image and CRI client (<see cref="Cri.CriEnvironment"/>).
/// <see cref="Dispose"/> tears all of it down: pods, containers, shims, conmons, the pod network
/// (firewall rules, bridge, addresses), mounts, directories.
/// $CSRUNSC_INTEGRATION_LOGS=DIR keeps the runtime call logs (DIR/NAME/calls.log, the config.json
/// of every create, the process.json of every exec) and the component logs.
/// </summary>
public sealed class IntegrationFixture : IDisposable
{
    private readonly Lazy<string> _image;
    private readonly Lazy<IReadOnlyDictionary<string, RuntimeUnderTest>> _runtimes;
    private readonly Lazy<ContainerdDaemon> _containerd;
    private readonly Lazy<Cri.CriEnvironment> _cri;
    private readonly Lazy<PodmanEnvironment> _podman;
    private readonly Lazy<string> _scratch;
    private int _counter;

    public IntegrationFixture()
    {
        _scratch = new Lazy<string>(() => Directory.CreateTempSubdirectory("csrunsc-it-").FullName);
        RunDir = $"/run/csrunsc-it-{Environment.ProcessId}";
        _image = new Lazy<string>(BuildImage);
        _runtimes = new Lazy<IReadOnlyDictionary<string, RuntimeUnderTest>>(
            () => IntegrationRuntimes.Selected.ToDictionary(name => name, name => new RuntimeUnderTest(name, ScratchDir)));
        _containerd = new Lazy<ContainerdDaemon>(() => new ContainerdDaemon(ScratchDir, RunDir, ImageTarball, [.. _runtimes.Value.Values]));
        _cri = new Lazy<Cri.CriEnvironment>(() => new Cri.CriEnvironment(Containerd, ScratchDir));
        _podman = new Lazy<PodmanEnvironment>(() => new PodmanEnvironment(ScratchDir, ImageTarball, [.. _runtimes.Value.Values]));
    }

    public string ScratchDir => _scratch.Value;
    public string RunDir { get; }

    /// <summary>The OCI image-layout tarball of localhost/bb:1.</summary>
    public string ImageTarball => _image.Value;

    public ContainerdDaemon Containerd => _containerd.Value;

    /// <summary>containerd's CRI plugin with the pod network and the pause image (made on first use).</summary>
    public Cri.CriEnvironment Cri => _cri.Value;
    public PodmanEnvironment Podman => _podman.Value;

    public RuntimeUnderTest Runtime(string name) => _runtimes.Value[name];

    /// <summary>A container id unique in this run, naming its test and runtime.</summary>
    public string NewId(string prefix, string runtime) =>
        $"{prefix}-{runtime}-{Environment.ProcessId}-{Interlocked.Increment(ref _counter)}";

    /// <summary>Starts a test against <paramref name="runtime"/> (fails it at once when the runtime failed its preflight).</summary>
    public IntegrationSession Begin(string runtime)
    {
        var session = new IntegrationSession(this, Runtime(runtime));
        session.Runtime.EnsureUsable();
        return session;
    }

    public void Dispose()
    {
        if (!_scratch.IsValueCreated)
        {
            return;
        }

        var errors = new List<string>();
        void Try(Action action)
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                errors.Add(e.Message);
            }
        }

        // Pods first, through CRI, while containerd still runs (CNI releases their addresses).
        if (_cri.IsValueCreated)
        {
            Try(() => _cri.Value.Dispose());
        }

        if (_containerd.IsValueCreated)
        {
            Try(() => _containerd.Value.Dispose());
        }

        if (_podman.IsValueCreated)
        {
            Try(() => _podman.Value.Dispose());
        }

        // Anything still running from our directories (runtime calls, containers of a crashed shim).
        Try(() =>
        {
            foreach (var process in HostInspector.LiveProcesses(p =>
                         p.CommandLine.Contains(ScratchDir, StringComparison.Ordinal) || p.CommandLine.Contains(RunDir, StringComparison.Ordinal)))
            {
                HostInspector.KillTree(process.Pid);
            }
        });
        Try(() => HostInspector.UnmountAllUnder(ScratchDir, RunDir));
        Try(KeepLogs);
        foreach (var dir in new[] { ScratchDir, RunDir })
        {
            Try(() =>
            {
                if (Directory.Exists(dir) && HostInspector.MountsUnder(dir).Count == 0)
                {
                    Directory.Delete(dir, recursive: true);
                }
            });
        }
    }

    private void KeepLogs()
    {
        if (Environment.GetEnvironmentVariable("CSRUNSC_INTEGRATION_LOGS") is not { Length: > 0 } keep || !_runtimes.IsValueCreated)
        {
            return;
        }

        Directory.CreateDirectory(keep);
        foreach (var runtime in _runtimes.Value.Values)
        {
            Shell.Run(TimeSpan.FromSeconds(30), "cp", ["-a", runtime.LogDir, Path.Join(keep, runtime.Name)]);
        }

        if (_containerd.IsValueCreated)
        {
            Shell.Run(TimeSpan.FromSeconds(30), "cp", [_containerd.Value.ConfigPath, Path.Join(_containerd.Value.Dir, "containerd.log"), keep]);
        }

        if (_podman.IsValueCreated)
        {
            Shell.Run(TimeSpan.FromSeconds(30), "cp", [_podman.Value.ConfigPath, keep]);
        }
    }

    private string BuildImage()
    {
        var tarball = Path.Join(ScratchDir, "bb-image.tar");
        Shell.Run(TimeSpan.FromMinutes(2), "bash", [Path.Join(RepositoryLayout.AssetsDir, "make-busybox-image.sh"), tarball, ContainerdDaemon.ImageName])
            .EnsureSuccess("make-busybox-image.sh");
        return tarball;
    }
}
