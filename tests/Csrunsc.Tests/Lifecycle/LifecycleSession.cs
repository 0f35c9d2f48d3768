using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Csrunsc.Tests.Differential;
using Csrunsc.Tests.Integration;

namespace Csrunsc.Tests.Lifecycle;

/// <summary>
/// One runtime (runc or csrunsc) in one test: its own `--root` state directory and `--log` file,
/// unique container ids, bundles, every CLI call with a timeout and written to a transcript, and
/// cleanup (`delete --force` of every id it made) with a check that nothing is left behind.
/// </summary>
public sealed class LifecycleSession : IDisposable
{
    public const string Runc = ContainerRunner.Runc;
    public const string Csrunsc = ContainerRunner.Csrunsc;

    /// <summary>Any single CLI call; runc answers in well under a second, so does csrunsc.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(15);

    /// <summary>A foreground `run` of a short container.</summary>
    public static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(20);

    private static readonly TimeSpan LeftoverGrace = TimeSpan.FromSeconds(3);

    private readonly LifecycleFixture _fixture;
    private readonly List<string> _ids = [];
    private readonly List<string> _bundles = [];
    private readonly List<int> _pids = [];
    private readonly StringBuilder _transcript = new();
    private bool _cleaned;

    public LifecycleSession(LifecycleFixture fixture, string runtime)
    {
        _fixture = fixture;
        Runtime = runtime;
        Executable = runtime == Csrunsc ? RepositoryLayout.CsrunscBinary : (Shell.Which("runc") ?? "runc");
        if (runtime == Csrunsc && !File.Exists(Executable))
        {
            throw new InvalidOperationException(
                $"csrunsc binary not found at {Executable}: build it with ./build.sh or point CSRUNSC_BIN at it");
        }

        Dir = Path.Join(fixture.ScratchDir, $"{runtime}-{fixture.Next()}");
        Root = Path.Join(Dir, "root");
        LogFile = Path.Join(Dir, "log.json");
        Directory.CreateDirectory(Root);
    }

    public string Runtime { get; }
    public string Executable { get; }

    /// <summary>This session's scratch directory (bundles, logs, pid files).</summary>
    public string Dir { get; }

    /// <summary>The `--root` state directory.</summary>
    public string Root { get; }

    /// <summary>The `--log` file (`--log-format json`) of every call.</summary>
    public string LogFile { get; }

    public string Transcript => _transcript.ToString();

    /// <summary>A container id unique in the test run (no id is a prefix of another: the trailing "x").</summary>
    public string NewId() => $"lc{Environment.ProcessId}-{Runtime}-{_fixture.Next()}x";

    /// <summary>A fresh bundle for <paramref name="id"/>: a copy of the busybox rootfs and a config running <paramref name="args"/>.</summary>
    public string NewBundle(string id, IReadOnlyList<string> args, Action<JsonObject>? editConfig = null)
    {
        var bundle = Path.Join(Dir, "bundle-" + id);
        Directory.CreateDirectory(bundle);
        HostCommand.Run("cp", "-a", Path.Join(_fixture.TemplateBundle, "rootfs"), Path.Join(bundle, "rootfs"));
        var config = _fixture.ConfigFor(args);
        editConfig?.Invoke(config);
        File.WriteAllText(Path.Join(bundle, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        _bundles.Add(bundle);
        return bundle;
    }

    /// <summary>`RUNTIME --root R --log L --log-format json ARGS...`, stdin closed, stdout/stderr captured.</summary>
    public CommandResult Cli(params string[] args) =>
        Note(Shell.Run(CallTimeout, Executable, ["--root", Root, "--log", LogFile, "--log-format", "json", .. args]));

    /// <summary>
    /// Like <see cref="Cli"/> but with stdout/stderr going to files (the runtime hands them to
    /// long-lived container processes: create's are the container's stdio, detached exec's the exec's).
    /// The result's Stdout/Stderr are what the files held when the call returned.
    /// </summary>
    public CommandResult CliToFiles(string stdoutFile, string stderrFile, params string[] args)
    {
        var result = Shell.Run(CallTimeout, "bash",
            ["-c", "out=$1 err=$2; shift 2; exec \"$@\" </dev/null >>\"$out\" 2>>\"$err\"", "cli", stdoutFile, stderrFile,
             Executable, "--root", Root, "--log", LogFile, "--log-format", "json", .. args]);
        return Note(result with { Stdout = ReadOrEmpty(stdoutFile), Stderr = ReadOrEmpty(stderrFile) });
    }

    /// <summary>`create --bundle B --pid-file B/init.pid ID` with the container's stdout/stderr in B/stdout, B/stderr.</summary>
    public CommandResult Create(string id, string bundle)
    {
        Track(id);
        var result = CliToFiles(Path.Join(bundle, "stdout"), Path.Join(bundle, "stderr"),
            "create", "--bundle", bundle, "--pid-file", PidFile(bundle), id);
        if (result.ExitCode == 0 && TryReadPid(PidFile(bundle)) is { } pid)
        {
            _pids.Add(pid);
        }

        return result;
    }

    /// <summary>A new id and bundle running <paramref name="args"/>, created; throws when create fails.</summary>
    public (string Id, string Bundle, int Pid) CreateContainer(IReadOnlyList<string> args, Action<JsonObject>? editConfig = null)
    {
        var id = NewId();
        var bundle = NewBundle(id, args, editConfig);
        var result = Create(id, bundle);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Runtime} create failed:\n{result}");
        }

        return (id, bundle, ReadPid(PidFile(bundle)));
    }

    public static string PidFile(string bundle) => Path.Join(bundle, "init.pid");

    /// <summary>Remembers a pid (an exec's pid file) for the leftover check.</summary>
    public void TrackPid(int pid) => _pids.Add(pid);

    public void Track(string id)
    {
        if (!_ids.Contains(id))
        {
            _ids.Add(id);
        }
    }

    public static int ReadPid(string pidFile) =>
        TryReadPid(pidFile) ?? throw new InvalidOperationException($"pid file {pidFile} is missing or not a number");

    public static int? TryReadPid(string pidFile) =>
        File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) ? pid : null;

    /// <summary>`state ID` parsed, or null when it fails.</summary>
    public JsonElement? State(string id)
    {
        var result = Cli("state", id);
        if (result.ExitCode != 0)
        {
            return null;
        }

        try
        {
            return JsonDocument.Parse(result.Stdout).RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>"status=S pid=P" from `state ID`, or "state failed".</summary>
    public string StatusAndPid(string id) =>
        State(id) is { } state
            ? $"status={state.GetProperty("status").GetString()} pid={state.GetProperty("pid").GetInt32()}"
            : "state failed";

    public string? Status(string id) => State(id)?.GetProperty("status").GetString();

    /// <summary>Polls `state ID` until its status is <paramref name="status"/>.</summary>
    public bool WaitForStatus(string id, string status, TimeSpan timeout) =>
        HostInspector.WaitUntil(() => Status(id) == status, timeout, TimeSpan.FromMilliseconds(50));

    /// <summary>Polls until <paramref name="pid"/> is gone (or a zombie).</summary>
    public static bool WaitGone(int pid, TimeSpan timeout) =>
        HostInspector.WaitUntil(() => !HostInspector.IsAlive(pid), timeout, TimeSpan.FromMilliseconds(50));

    /// <summary>The last line of the --log file, parsed: (level, msg), or null.</summary>
    public (string Level, string Msg)? LastLogLine()
    {
        var lines = File.Exists(LogFile) ? File.ReadAllLines(LogFile).Where(l => l.Trim().Length > 0).ToArray() : [];
        if (lines.Length == 0)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(lines[^1]);
            var root = document.RootElement;
            return (root.GetProperty("level").GetString() ?? "", root.GetProperty("msg").GetString() ?? "");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return ("(not a JSON object: " + lines[^1] + ")", "");
        }
    }

    public int LogLineCount() => File.Exists(LogFile) ? File.ReadAllLines(LogFile).Count(l => l.Trim().Length > 0) : 0;

    public void ClearLog() => File.Delete(LogFile);

    /// <summary>Starts a foreground `run --bundle B ID` (stdin closed, output captured); the caller waits on it.</summary>
    public ForegroundRun StartRun(string id, string bundle)
    {
        Track(id);
        var startInfo = new ProcessStartInfo(Executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (var argument in new[] { "--root", Root, "--log", LogFile, "--log-format", "json", "run", "--bundle", bundle, id })
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"cannot start {Executable}");
        process.StandardInput.Close();
        _transcript.AppendLine($"$ {Executable} ... run --bundle {bundle} {id} (in the background)");
        return new ForegroundRun(this, process);
    }

    /// <summary>`run` of a new container for <paramref name="args"/> to completion.</summary>
    public CommandResult Run(IReadOnlyList<string> args)
    {
        var id = NewId();
        using var run = StartRun(id, NewBundle(id, args));
        return run.Wait(RunTimeout);
    }

    /// <summary>
    /// Deletes (--force) every container this session made, then lists what is left: state
    /// directories of those ids, live pid-file processes, processes naming an id or a bundle.
    /// </summary>
    public List<string> CleanUpAndListLeftovers()
    {
        _cleaned = true;
        foreach (var id in _ids)
        {
            Cli("delete", "--force", id);
        }

        var clock = Stopwatch.StartNew();
        List<string> leftovers;
        do
        {
            leftovers = [];
            foreach (var id in _ids.Where(id => Directory.Exists(Path.Join(Root, id))))
            {
                leftovers.Add($"state directory {Path.Join(Root, id)}");
            }

            foreach (var pid in _pids.Where(HostInspector.IsAlive))
            {
                leftovers.Add($"pid-file process {pid} ({HostProcess.TryRead(pid)?.CommandLine}) still alive");
            }

            foreach (var process in HostInspector.LiveProcesses(p =>
                         _ids.Any(id => p.CommandLine.Contains(id, StringComparison.Ordinal))
                         || _bundles.Any(b => p.CommandLine.Contains(b, StringComparison.Ordinal))))
            {
                leftovers.Add($"process {process.Pid} ({process.Name}): {process.CommandLine}");
            }

            if (leftovers.Count == 0)
            {
                break;
            }

            Thread.Sleep(100);
        }
        while (clock.Elapsed < LeftoverGrace);

        _transcript.AppendLine(leftovers.Count == 0 ? "(nothing left behind)" : "left behind:\n  " + string.Join("\n  ", leftovers));
        return leftovers;
    }

    public void Dispose()
    {
        if (!_cleaned)
        {
            CleanUpAndListLeftovers();
        }

        // Last resort: nothing of ours may outlive the test.
        foreach (var pid in _pids.Where(HostInspector.IsAlive))
        {
            HostInspector.Signal(pid, "KILL");
        }
    }

    internal CommandResult Note(CommandResult result)
    {
        _transcript.AppendLine(result.ToString());
        return result;
    }

    private static string ReadOrEmpty(string path) => File.Exists(path) ? File.ReadAllText(path) : "";
}

/// <summary>A foreground `run` in progress.</summary>
public sealed class ForegroundRun(LifecycleSession session, Process process) : IDisposable
{
    private readonly Task<string> _stdout = process.StandardOutput.ReadToEndAsync();
    private readonly Task<string> _stderr = process.StandardError.ReadToEndAsync();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public bool HasExited => process.HasExited;

    /// <summary>Waits for `run` to return (killing its process tree on timeout: exit -1, TimedOut).</summary>
    public CommandResult Wait(TimeSpan timeout)
    {
        var timedOut = !process.WaitForExit(timeout);
        if (timedOut)
        {
            Kill();
        }

        var stdout = _stdout.Wait(TimeSpan.FromSeconds(2)) ? _stdout.Result : "(stdout still held open by another process)";
        var stderr = _stderr.Wait(TimeSpan.FromSeconds(2)) ? _stderr.Result : "(stderr still held open by another process)";
        return session.Note(new CommandResult(
            $"{session.Runtime} run (pid {process.Id})", timedOut ? -1 : process.ExitCode, stdout, stderr, timedOut, _clock.Elapsed));
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            Kill();
        }

        process.Dispose();
    }

    private void Kill()
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
    }
}
