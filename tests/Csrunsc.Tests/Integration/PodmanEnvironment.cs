namespace Csrunsc.Tests.Integration;

/// <summary>
/// podman with its own containers.conf (CONTAINERS_CONF) and scratch --root/--runroot:
/// cgroupfs, file events, default_ulimits that work without CAP_SYS_RESOURCE, and
/// runtime_supports_json naming runc and csrunsc (conmon then passes --log-format=json --log F).
/// Every test command names its runtime with `--runtime PATH`. The busybox image is loaded
/// with `podman load`. <see cref="Dispose"/> removes all containers, stops stray conmons and
/// unmounts whatever is left under its directories.
/// </summary>
public sealed class PodmanEnvironment : IDisposable
{
    public const string ImageName = "localhost/bb:1";

    private readonly Dictionary<string, string> _environment;

    public PodmanEnvironment(string scratchDir, string imageTarball, IReadOnlyList<RuntimeUnderTest> runtimes)
    {
        Dir = Path.Join(scratchDir, "podman");
        Root = Path.Join(Dir, "root");
        RunRoot = Path.Join(Dir, "runroot");
        ConfigPath = Path.Join(Dir, "containers.conf");
        Directory.CreateDirectory(Path.Join(Dir, "tmp"));
        string Q(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        var runtimeTable = string.Join('\n', runtimes.Select(r => $"{r.Name} = [{Q(r.Binary)}]"));
        File.WriteAllText(ConfigPath, $"""
            # Written by the csrunsc integration tests (tests/Csrunsc.Tests/Integration/PodmanEnvironment.cs).
            [containers]
            # podman's default rlimits fail without CAP_SYS_RESOURCE.
            default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

            [engine]
            cgroup_manager = "cgroupfs"
            events_logger = "file"
            events_logfile_path = {Q(Path.Join(Dir, "events.log"))}
            tmp_dir = {Q(Path.Join(Dir, "tmp"))}
            # conmon passes --log-format=json --log FILE only to runtimes whose basename is listed.
            runtime_supports_json = ["runc", "csrunsc"]

            [engine.runtimes]
            {runtimeTable}

            """);
        _environment = new Dictionary<string, string> { ["CONTAINERS_CONF"] = ConfigPath };
        Podman(null, TimeSpan.FromMinutes(1), "load", "-i", imageTarball).EnsureSuccess("podman load");
    }

    public string Dir { get; }
    public string Root { get; }
    public string RunRoot { get; }
    public string ConfigPath { get; }

    /// <summary>`podman --root R --runroot RR [--runtime RUNTIME] ARGS...` with our containers.conf.</summary>
    public CommandResult Podman(RuntimeUnderTest? runtime, TimeSpan timeout, params string[] args) =>
        Shell.Run(timeout, "podman", [.. GlobalArgs(runtime), .. args], _environment);

    /// <summary>`podman GLOBALARGS ARGS...` as an argv, to run with <see cref="Environment"/> (e.g. on a CallerTerminal).</summary>
    public string[] Argv(RuntimeUnderTest runtime, params string[] args) => ["podman", .. GlobalArgs(runtime), .. args];

    /// <summary>What podman's environment adds: CONTAINERS_CONF naming our containers.conf.</summary>
    public IReadOnlyDictionary<string, string> Environment => _environment;

    /// <summary>The podman command line (for `script -c`), with CONTAINERS_CONF set inline.</summary>
    public string CommandLine(RuntimeUnderTest runtime, params string[] args) =>
        $"CONTAINERS_CONF={Shell.Quote(ConfigPath)} podman " + string.Join(' ', GlobalArgs(runtime).Concat(args).Select(Shell.Quote));

    public void Dispose()
    {
        Podman(null, TimeSpan.FromSeconds(30), "rm", "--all", "--force", "--time", "0");
        foreach (var conmon in HostInspector.LiveProcesses(p =>
                     p.CommandLine.Contains(Root, StringComparison.Ordinal) || p.CommandLine.Contains(RunRoot, StringComparison.Ordinal)))
        {
            HostInspector.KillTree(conmon.Pid);
        }

        HostInspector.UnmountAllUnder(Dir);
    }

    private IEnumerable<string> GlobalArgs(RuntimeUnderTest? runtime)
    {
        yield return "--root";
        yield return Root;
        yield return "--runroot";
        yield return RunRoot;
        if (runtime is not null)
        {
            yield return "--runtime";
            yield return runtime.Binary;
        }
    }
}
