using System.Diagnostics;

namespace Csrunsc.Tests.Differential;

/// <summary>A `RUNTIME run` in progress; disposing it kills it if still running and deletes the container.</summary>
public sealed class StartedContainer : IDisposable
{
    private static readonly TimeSpan PipeDrainGrace = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan LeftoverGrace = TimeSpan.FromSeconds(2);

    private readonly ContainerRunner _runner;
    private readonly string _executable;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private bool _deleted;

    internal StartedContainer(
        ContainerRunner runner, string runtime, string executable, string stateRoot, string bundle, string containerId, Process process)
    {
        _runner = runner;
        _executable = executable;
        Runtime = runtime;
        StateRoot = stateRoot;
        Bundle = bundle;
        ContainerId = containerId;
        Process = process;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public string Runtime { get; }
    public string StateRoot { get; }
    public string Bundle { get; }
    public string ContainerId { get; }

    /// <summary>The `RUNTIME run` process itself.</summary>
    public Process Process { get; }

    /// <summary>
    /// Waits for `run` to exit (killing its whole process tree on timeout), then records what it
    /// left behind (state directory, processes naming the container) and deletes the container.
    /// </summary>
    public RunResult WaitForExit(TimeSpan timeout)
    {
        var timedOut = !Process.WaitForExit(timeout);
        if (timedOut)
        {
            _runner.NoteTimeout(Runtime);
            KillTree();
        }

        var elapsed = _clock.Elapsed;
        // Output pipes may be held open by a stray child; don't wait for them forever.
        var stdout = _stdout.Wait(PipeDrainGrace) ? _stdout.Result : "(stdout still open: a process kept the pipe)";
        var stderr = _stderr.Wait(PipeDrainGrace) ? _stderr.Result : "(stderr still open: a process kept the pipe)";
        var leftBehind = timedOut ? [] : FindLeftovers();
        Delete();
        return new RunResult(Runtime, ContainerId, timedOut ? -1 : Process.ExitCode, stdout, stderr, timedOut, elapsed)
        {
            LeftBehind = leftBehind,
        };
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            KillTree();
        }

        Delete();
        Process.Dispose();
    }

    private List<string> FindLeftovers()
    {
        var deadline = Stopwatch.StartNew();
        List<string> leftovers;
        do
        {
            leftovers = [];
            var stateDir = Path.Join(StateRoot, ContainerId);
            if (Directory.Exists(stateDir))
            {
                leftovers.Add($"state directory {stateDir}");
            }

            foreach (var process in HostProcess.ListAll())
            {
                if (process.Pid != Environment.ProcessId
                    && (process.CommandLine.Contains(ContainerId, StringComparison.Ordinal)
                        || process.CommandLine.Contains(Bundle, StringComparison.Ordinal)))
                {
                    leftovers.Add($"process {process.Pid} ({process.Name}): {process.CommandLine}");
                }
            }

            if (leftovers.Count == 0)
            {
                return leftovers;
            }

            Thread.Sleep(100);
        }
        while (deadline.Elapsed < LeftoverGrace);

        return leftovers;
    }

    private void KillTree()
    {
        try
        {
            Process.Kill(entireProcessTree: true);
            Process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private void Delete()
    {
        if (_deleted)
        {
            return;
        }

        _deleted = true;
        try
        {
            using var delete = Process.Start(new ProcessStartInfo(_executable)
            {
                ArgumentList = { "--root", StateRoot, "delete", "-f", ContainerId },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (delete is not null && !delete.WaitForExit(_runner.DeleteTimeoutFor(Runtime)))
            {
                delete.Kill(entireProcessTree: true);
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // The runtime binary is missing; there is nothing to delete with.
        }
    }
}
