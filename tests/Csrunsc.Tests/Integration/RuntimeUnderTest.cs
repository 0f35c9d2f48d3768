using System.Text;
using System.Text.Json.Nodes;
using Csrunsc.Tests.Differential;

namespace Csrunsc.Tests.Integration;

/// <summary>
/// One runtime (runc or csrunsc) as the integration tests give it to containerd and podman:
/// wrapped in a logging script (tests/assets/integration/make-logging-runtime.sh) named after
/// the runtime, so that every call the components make is recorded in <see cref="CallLog"/>.
/// Before any test uses it, a <see cref="Preflight"/> drives its CLI through create/start/delete
/// the way the shim does; if that fails, every test of the runtime fails at once with that
/// failure (fast, one clear message) instead of timing out inside containerd or podman.
/// $CSRUNSC_INTEGRATION_NO_WRAPPER=1 hands the real binary to the components instead.
/// </summary>
public sealed class RuntimeUnderTest
{
    private static readonly TimeSpan NormalTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ShortTimeout = TimeSpan.FromSeconds(10);

    private readonly Lazy<string?> _preflightFailure;
    private int _timeouts;

    public RuntimeUnderTest(string name, string scratchDir)
    {
        Name = name;
        Executable = IntegrationRuntimes.Executable(name);
        LogDir = Path.Join(scratchDir, "calls", name);
        ScratchDir = Path.Join(scratchDir, "runtime-" + name);
        Directory.CreateDirectory(LogDir);
        Directory.CreateDirectory(ScratchDir);
        var wrapped = Environment.GetEnvironmentVariable("CSRUNSC_INTEGRATION_NO_WRAPPER") != "1";
        if (wrapped && File.Exists(Executable))
        {
            Binary = Path.Join(scratchDir, "wrap", name, name);
            Shell.Run(TimeSpan.FromSeconds(30), "bash",
                [Path.Join(RepositoryLayout.AssetsDir, "integration", "make-logging-runtime.sh"), Executable, LogDir, Binary])
                .EnsureSuccess("writing the logging wrapper");
        }
        else
        {
            Binary = Executable;
        }

        _preflightFailure = new Lazy<string?>(RunPreflight, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>"runc" or "csrunsc".</summary>
    public string Name { get; }

    /// <summary>The real runtime binary.</summary>
    public string Executable { get; }

    /// <summary>What containerd and podman are given: the logging wrapper (or <see cref="Executable"/>).</summary>
    public string Binary { get; }

    /// <summary>calls.log and the inputs the wrapper saved.</summary>
    public string LogDir { get; }

    public string CallLog => Path.Join(LogDir, "calls.log");

    /// <summary>A directory for this runtime's state roots and bundles.</summary>
    public string ScratchDir { get; }

    /// <summary>Timeout for one component command (ctr, podman) using this runtime; shortened once it has hung.</summary>
    public TimeSpan OperationTimeout =>
        Name == IntegrationRuntimes.Csrunsc && Volatile.Read(ref _timeouts) > 0 ? ShortTimeout : NormalTimeout;

    public void NoteTimeout() => Interlocked.Increment(ref _timeouts);

    /// <summary>Length of the call log now: pass it to <see cref="CallsSince"/>.</summary>
    public long CallLogMark => File.Exists(CallLog) ? new FileInfo(CallLog).Length : 0;

    /// <summary>The ARGV/EXIT lines logged since <paramref name="mark"/> (the CALL lines are long and left out).</summary>
    public string CallsSince(long mark, int maxLines = 60)
    {
        if (!File.Exists(CallLog))
        {
            return Binary == Executable ? "(runtime not wrapped: no call log)" : "(no runtime calls logged)";
        }

        using var stream = new FileStream(CallLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(Math.Min(mark, stream.Length), SeekOrigin.Begin);
        var lines = new StreamReader(stream).ReadToEnd().Split('\n')
            .Where(l => l.StartsWith("ARGV ", StringComparison.Ordinal) || l.StartsWith("EXIT ", StringComparison.Ordinal))
            .ToList();
        if (lines.Count == 0)
        {
            return "(no runtime calls logged)";
        }

        var shown = lines.Count > maxLines ? lines[^maxLines..] : lines;
        return (lines.Count > maxLines ? $"(last {maxLines} of {lines.Count})\n" : "") + string.Join('\n', shown);
    }

    /// <summary>Throws (failing the test at once) when the runtime cannot create/start/delete a container.</summary>
    public void EnsureUsable()
    {
        if (_preflightFailure.Value is { } failure)
        {
            throw new RuntimeNotUsableException(failure);
        }
    }

    private string? RunPreflight()
    {
        if (!File.Exists(Executable))
        {
            return $"{Name} binary not found at {Executable}: build it with ./build.sh or point CSRUNSC_BIN at it";
        }

        var mark = CallLogMark;
        var id = $"preflight-{Environment.ProcessId}";
        var bundle = Path.Join(ScratchDir, "preflight");
        var root = Path.Join(ScratchDir, "preflight-root");
        if (Directory.Exists(bundle))
        {
            Directory.Delete(bundle, recursive: true);
        }

        Shell.Run(TimeSpan.FromMinutes(1), "bash",
            [Path.Join(RepositoryLayout.AssetsDir, "make-bundle.sh"), bundle, "sh", "-c", "echo preflight-out; exit 3"])
            .EnsureSuccess("making the preflight bundle");
        var globals = new[] { "--root", root, "--log", Path.Join(bundle, "log.json"), "--log-format", "json" };
        var steps = new StringBuilder();

        CommandResult Call(string what, TimeSpan timeout, params string[] args)
        {
            // Like the shim: cwd is the bundle; for create, the container's stdio are files.
            var result = Shell.Run(timeout, "bash",
                ["-c", "cd \"$1\" && shift && exec \"$@\" </dev/null >>\"$PWD/stdout\" 2>>\"$PWD/stderr\"", "preflight", bundle, Binary, .. globals, .. args]);
            steps.Append($"  {what}: {(result.TimedOut ? "timed out" : $"exit {result.ExitCode}")} ({result.Elapsed.TotalSeconds:F1}s)\n");
            return result;
        }

        string Failure(string problem) =>
            $"{Name} failed the lifecycle preflight, so this test was not attempted: {problem}\n" +
            $"The preflight drives `{Name}` the way containerd's runc shim does (cwd = bundle, global flags " +
            $"--root R --log B/log.json --log-format json):\n{steps}" +
            $"bundle {bundle}; stdout+stderr of the calls (and the container):\n{Read(Path.Join(bundle, "stdout"))}{Read(Path.Join(bundle, "stderr"))}\n" +
            $"log.json:\n{Read(Path.Join(bundle, "log.json"))}\nruntime calls:\n{CallsSince(mark)}";

        try
        {
            var pidFile = Path.Join(bundle, "init.pid");
            var create = Call("create --bundle B --pid-file B/init.pid ID", TimeSpan.FromSeconds(15),
                "create", "--bundle", bundle, "--pid-file", pidFile, id);
            if (!create.Succeeded)
            {
                return Failure(create.TimedOut
                    ? "`create` did not return within 15 s (it must return once init exists, blocked until `start`)"
                    : $"`create` exited {create.ExitCode}");
            }

            if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) || pid <= 0)
            {
                return Failure("`create` exited 0 but wrote no pid to --pid-file");
            }

            if (!HostInspector.IsAlive(pid))
            {
                return Failure($"the pid file names {pid}, which is not a live process after `create`");
            }

            var start = Call("start ID", TimeSpan.FromSeconds(10), "start", id);
            if (!start.Succeeded)
            {
                return Failure(start.TimedOut ? "`start` did not return within 10 s" : $"`start` exited {start.ExitCode}");
            }

            if (!HostInspector.WaitUntil(() => !HostInspector.IsAlive(pid), TimeSpan.FromSeconds(10)))
            {
                return Failure($"the container (pid {pid}, `sh -c 'echo preflight-out; exit 3'`) was still running 10 s after `start`");
            }

            if (!Read(Path.Join(bundle, "stdout")).Contains("preflight-out", StringComparison.Ordinal))
            {
                return Failure("the container's output did not reach create's stdout (without a tty, create's fds 0-2 are the container's stdio)");
            }

            var delete = Call("delete ID", TimeSpan.FromSeconds(10), "delete", id);
            if (!delete.Succeeded)
            {
                return Failure($"`delete` of the stopped container exited {delete.ExitCode}");
            }

            var force = Call("delete --force ID (gone)", TimeSpan.FromSeconds(10), "delete", "--force", id);
            if (!force.Succeeded)
            {
                return Failure($"`delete --force` of a container that no longer exists exited {force.ExitCode} (must be 0)");
            }

            return null;
        }
        finally
        {
            Shell.Run(TimeSpan.FromSeconds(10), Executable, ["--root", root, "delete", "--force", id]);
        }
    }

    private static string Read(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : "";
        }
        catch (IOException e)
        {
            return $"({e.Message})";
        }
    }
}

/// <summary>The runtime failed its preflight: the test fails at once with the preflight's report.</summary>
public sealed class RuntimeNotUsableException(string message) : Exception(message);

public static class CommandResultExtensions
{
    /// <summary>Throws with the whole result when the command did not exit 0 (for harness setup steps).</summary>
    public static CommandResult EnsureSuccess(this CommandResult result, string what) =>
        result.Succeeded ? result : throw new InvalidOperationException($"{what} failed:\n{result}");
}
