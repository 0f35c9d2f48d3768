using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// Runs `RUNTIME --root STATE run --bundle BUNDLE ID` for runc or csrunsc with a fresh bundle,
/// captures stdout/stderr and the exit status, kills the run when it exceeds its timeout, notes
/// what it left behind, and always finishes with `RUNTIME --root STATE delete -f ID`.
/// </summary>
public sealed class ContainerRunner(DifferentialFixture fixture)
{
    public const string Runc = "runc";
    public const string Csrunsc = "csrunsc";

    /// <summary>csrunsc with `--platform kvm` (guest code in a KVM virtual machine).</summary>
    public const string CsrunscKvm = "csrunsc-kvm";

    /// <summary>Either csrunsc runtime (ptrace or KVM platform).</summary>
    public static bool IsCsrunsc(string runtime) => runtime is Csrunsc or CsrunscKvm;

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Once csrunsc has hung this often, later csrunsc runs get <see cref="ShortTimeout"/>, keeping the suite fast.</summary>
    private const int TimeoutsBeforeShortening = 2;
    private static readonly TimeSpan ShortTimeout = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan DeleteTimeout = TimeSpan.FromSeconds(10);

    private int _containerCounter;
    private int _csrunscTimeouts;

    /// <summary>The executable for "runc" / "csrunsc" (from $CSRUNSC_BIN, default &lt;repo&gt;/out/csrunsc), or a path as given.</summary>
    public static string ResolveRuntime(string runtime) => IsCsrunsc(runtime) ? RepositoryLayout.CsrunscBinary : runtime;

    /// <summary>A new container id, unique in this test run.</summary>
    public string NewContainerId(string runtime) =>
        $"t{Environment.ProcessId}-{Path.GetFileName(runtime)}-{Interlocked.Increment(ref _containerCounter)}";

    /// <summary>Makes BUNDLE/rootfs (a copy of the template) and BUNDLE/config.json for <paramref name="args"/>.</summary>
    public string CreateBundle(string containerId, IReadOnlyList<string> args, Action<JsonObject>? editConfig = null)
    {
        var bundle = Path.Join(fixture.ScratchDir, "bundles", containerId);
        Directory.CreateDirectory(bundle);
        HostCommand.Run("cp", "-a", fixture.TemplateRootfs, Path.Join(bundle, "rootfs"));
        var config = BundleConfig.Create(args);
        editConfig?.Invoke(config);
        File.WriteAllText(
            Path.Join(bundle, "config.json"),
            config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return bundle;
    }

    /// <summary>Runs <paramref name="args"/> in a fresh busybox container under <paramref name="runtime"/>.</summary>
    /// <param name="feedStdin">Writes the container's stdin (a host pipe) on a thread of its own; stdin is closed when it returns. Null: stdin closed at once.</param>
    public RunResult RunUnder(string runtime, string[] args, TimeSpan? timeout = null, Action<JsonObject>? editConfig = null, Action<StreamWriter>? feedStdin = null)
    {
        var id = NewContainerId(runtime);
        var bundle = CreateBundle(id, args, editConfig);
        using var container = Start(runtime, bundle, id, feedStdin);
        return container.WaitForExit(timeout ?? TimeoutFor(runtime));
    }

    /// <summary>Runs an existing (possibly deliberately broken) bundle directory.</summary>
    public RunResult RunBundle(string runtime, string bundle, string containerId, TimeSpan? timeout = null)
    {
        using var container = Start(runtime, bundle, containerId);
        return container.WaitForExit(timeout ?? TimeoutFor(runtime));
    }

    /// <summary>Starts `run` without waiting; the caller waits with <see cref="StartedContainer.WaitForExit"/>.</summary>
    /// <param name="environment">Variables set for the runtime (and hence its sandbox process), e.g. CSRUNSC_SENTRY_SECCOMP.</param>
    public StartedContainer Start(string runtime, string bundle, string containerId, Action<StreamWriter>? feedStdin = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var executable = ResolveRuntime(runtime);
        if (IsCsrunsc(runtime) && !File.Exists(executable))
        {
            throw new InvalidOperationException(
                $"csrunsc binary not found at {executable}: build it with ./build.sh or point CSRUNSC_BIN at it");
        }

        var stateRoot = fixture.StateRootFor(runtime);
        var startInfo = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) startInfo.Environment[name] = value;
        if (runtime == CsrunscKvm)
        {
            startInfo.ArgumentList.Add("--platform");
            startInfo.ArgumentList.Add("kvm");
        }
        foreach (var argument in new[] { "--root", stateRoot, "run", "--bundle", bundle, containerId })
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"cannot start {executable}");
        if (feedStdin is null)
        {
            process.StandardInput.Close();
        }
        else
        {
            var stdin = process.StandardInput;
            stdin.AutoFlush = true;
            new Thread(() =>
            {
                try
                {
                    feedStdin(stdin);
                }
                catch (IOException)
                {
                    // The container exited early: nothing more to feed.
                }
                finally
                {
                    try { stdin.Close(); } catch (IOException) { }
                }
            }) { IsBackground = true }.Start();
        }
        return new StartedContainer(this, runtime, executable, stateRoot, bundle, containerId, process);
    }

    internal TimeSpan TimeoutFor(string runtime) =>
        IsCsrunsc(runtime) && Volatile.Read(ref _csrunscTimeouts) >= TimeoutsBeforeShortening ? ShortTimeout : DefaultTimeout;

    internal TimeSpan DeleteTimeoutFor(string runtime) =>
        TimeoutFor(runtime) < DeleteTimeout ? TimeoutFor(runtime) : DeleteTimeout;

    internal void NoteTimeout(string runtime)
    {
        if (IsCsrunsc(runtime))
        {
            Interlocked.Increment(ref _csrunscTimeouts);
        }
    }
}
