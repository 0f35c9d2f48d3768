using System.Diagnostics;

namespace Csrunsc.Tests.Integration;

/// <summary>
/// A private containerd (`containerd --config SCRATCH/config.toml`): root under the scratch
/// directory, state and sockets under RUNDIR (/run/csrunsc-it-*), the CRI plugin with
/// `restrict_oom_score_adj = true` and one runtime handler per runtime under test
/// (runtime_type io.containerd.runc.v2, BinaryName = the runtime, Root = SCRATCH/runtime-root/NAME).
/// Tests drive it through `ctr --address SOCK`, and through the CRI plugin with
/// <see cref="Cri.CriEnvironment"/>: CNI plugins from /usr/lib/cni with the config in
/// <see cref="CniConfDir"/> (written there only when a CRI test runs; containerd picks it up),
/// sandbox_image <see cref="PauseImageName"/> (imported then too), the streaming server on
/// 127.0.0.1 with a free port, pod network namespaces under the state directory.
/// The busybox image is imported into the `default` and `k8s.io` namespaces. <see cref="Dispose"/> stops containerd and everything it
/// started (shims, containers) and unmounts whatever is left under its directories.
/// </summary>
public sealed class ContainerdDaemon : IDisposable
{
    public const string ImageName = "localhost/bb:1";

    /// <summary>The CRI plugin's sandbox_image (built and imported by <see cref="Cri.CriEnvironment"/>).</summary>
    public const string PauseImageName = "localhost/csrunsc-pause:1";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private readonly string _logPath;

    public ContainerdDaemon(string scratchDir, string runDir, string imageTarball, IReadOnlyList<RuntimeUnderTest> runtimes)
    {
        Dir = Path.Join(scratchDir, "containerd");
        RunDir = runDir;
        Directory.CreateDirectory(Dir);
        Directory.CreateDirectory(RunDir);
        Address = Path.Join(RunDir, "containerd.sock");
        ConfigPath = Path.Join(Dir, "config.toml");
        _logPath = Path.Join(Dir, "containerd.log");
        CniConfDir = Path.Join(Dir, "cni", "net.d");
        Directory.CreateDirectory(CniConfDir);
        File.WriteAllText(ConfigPath, Config(runtimes, Path.Join(Dir, "root"), Path.Join(RunDir, "state"), Address, CniConfDir));

        // containerd's stdout/stderr go to a file through bash so that no pipe of ours is held by
        // the shims it spawns (they inherit nothing from us then).
        _process = Process.Start(new ProcessStartInfo("bash", ["-c", "exec containerd --config \"$1\" </dev/null >\"$2\" 2>&1", "containerd", ConfigPath, _logPath])
        {
            UseShellExecute = false,
            WorkingDirectory = Dir,
        }) ?? throw new InvalidOperationException("cannot start containerd");

        var up = HostInspector.WaitUntil(
            () => _process.HasExited || (File.Exists(Address) && Ctr(TimeSpan.FromSeconds(5), "version").Succeeded),
            StartTimeout, TimeSpan.FromMilliseconds(200));
        if (!up || _process.HasExited)
        {
            var log = Log;
            Dispose();
            throw new InvalidOperationException(
                $"containerd did not come up within {StartTimeout.TotalSeconds}s (config {ConfigPath}):\n{log}");
        }

        foreach (var ns in new[] { "default", "k8s.io" })
        {
            Ctr(TimeSpan.FromMinutes(1), "-n", ns, "image", "import", imageTarball).EnsureSuccess($"ctr -n {ns} image import");
        }
    }

    /// <summary>SCRATCH/containerd: config.toml, containerd.log, root.</summary>
    public string Dir { get; }

    /// <summary>/run/csrunsc-it-*: state, grpc and ttrpc sockets.</summary>
    public string RunDir { get; }

    public string Address { get; }
    public string ConfigPath { get; }

    /// <summary>The CRI plugin's CNI conf_dir (empty until a CRI test writes the pod network's config).</summary>
    public string CniConfDir { get; }
    public int Pid => _process.Id;

    public string Log => File.Exists(_logPath) ? File.ReadAllText(_logPath) : "(no containerd log)";

    /// <summary>Runtime root given for <paramref name="runtime"/> (the runtime itself gets --root ROOT/NAMESPACE).</summary>
    public static string RuntimeRoot(RuntimeUnderTest runtime) => Path.Join(runtime.ScratchDir, "containerd-root");

    /// <summary>`ctr --address SOCK ARGS...` (namespace `default` unless ARGS start with -n).</summary>
    public CommandResult Ctr(TimeSpan timeout, params string[] args) =>
        Shell.Run(timeout, "ctr", ["--address", Address, .. args]);

    public void Dispose()
    {
        // Best effort, quickly: containers first (so that shims clean up their mounts), then the daemon.
        if (!_process.HasExited)
        {
            foreach (var ns in new[] { "default", "k8s.io" })
            {
                var tasks = Ctr(TimeSpan.FromSeconds(10), "-n", ns, "task", "ls", "-q");
                foreach (var id in tasks.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    Ctr(TimeSpan.FromSeconds(10), "-n", ns, "task", "kill", "-a", "-s", "SIGKILL", id);
                    Ctr(TimeSpan.FromSeconds(10), "-n", ns, "task", "rm", "-f", id);
                }

                var containers = Ctr(TimeSpan.FromSeconds(10), "-n", ns, "container", "ls", "-q");
                foreach (var id in containers.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    Ctr(TimeSpan.FromSeconds(10), "-n", ns, "container", "rm", id);
                }
            }

            try
            {
                HostInspector.Signal(_process.Id, "TERM");
                if (!_process.WaitForExit(5000))
                {
                    _process.Kill();
                    _process.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
            }
        }

        // Shims outlive containerd: kill them with their containers.
        foreach (var shim in HostInspector.LiveProcesses(p => p.CommandLine.Contains(Address, StringComparison.Ordinal)))
        {
            HostInspector.KillTree(shim.Pid);
        }

        HostInspector.UnmountAllUnder(Dir, RunDir);
        _process.Dispose();
    }

    private static string Config(IReadOnlyList<RuntimeUnderTest> runtimes, string root, string state, string address, string cniConfDir)
    {
        string Q(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        var cri = "plugins.\"io.containerd.grpc.v1.cri\"";
        var toml = new System.Text.StringBuilder();
        toml.Append($"""
            # Written by the csrunsc integration tests (tests/Csrunsc.Tests/Integration/ContainerdDaemon.cs).
            version = 2
            root = {Q(root)}
            state = {Q(state)}
            disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

            [grpc]
              address = {Q(address)}

            [ttrpc]
              address = {Q(address + ".ttrpc")}

            [debug]
              level = "info"

            [{cri}]
              # The pause container asks for oom_score_adj -998, which needs CAP_SYS_RESOURCE.
              restrict_oom_score_adj = true
              sandbox_image = {Q(PauseImageName)}
              # Exec/Attach/PortForward URLs: loopback, a free port, plain HTTP.
              stream_server_address = "127.0.0.1"
              stream_server_port = "0"
              enable_tls_streaming = false
              # Pod network namespaces under `state` (so that teardown finds them), not /var/run/netns.
              netns_mounts_under_state_dir = true

            [{cri}.cni]
              bin_dir = {Q(Cri.CniNetwork.PluginDir)}
              conf_dir = {Q(cniConfDir)}
              max_conf_num = 1

            [{cri}.containerd]
              default_runtime_name = "runc"

            """);
        // Handlers named after the runtimes: `runc` (the default, here the logged runc) and `csrunsc`.
        // A RuntimeClass with `handler: csrunsc` selects the latter.
        if (runtimes.All(r => r.Name != IntegrationRuntimes.Runc))
        {
            toml.Append($"""

                [{cri}.containerd.runtimes.runc]
                  runtime_type = "io.containerd.runc.v2"

                """);
        }

        foreach (var runtime in runtimes)
        {
            toml.Append($"""

                [{cri}.containerd.runtimes.{runtime.Name}]
                  runtime_type = "io.containerd.runc.v2"
                  [{cri}.containerd.runtimes.{runtime.Name}.options]
                    BinaryName = {Q(runtime.Binary)}
                    Root = {Q(RuntimeRoot(runtime))}
                    SystemdCgroup = false

                """);
        }

        return toml.ToString();
    }
}
