using System.Text;
using Csrunsc.Tests.Differential;
using Xunit.Sdk;

namespace Csrunsc.Tests.Integration;

/// <summary>
/// One test against one runtime: runs component commands with the runtime's timeout, checks
/// their results with diagnostics (the runtime calls made during the test, component logs),
/// runs registered cleanups at the end, and checks that nothing was left behind.
/// </summary>
public sealed class IntegrationSession : IDisposable
{
    private static readonly TimeSpan LeftoverGrace = TimeSpan.FromSeconds(8);

    private readonly IntegrationFixture _fixture;
    private readonly long _callMark;
    private readonly List<Action> _cleanups = [];
    private readonly List<Func<string>> _diagnostics = [];

    internal IntegrationSession(IntegrationFixture fixture, RuntimeUnderTest runtime)
    {
        _fixture = fixture;
        Runtime = runtime;
        _callMark = runtime.CallLogMark;
    }

    public RuntimeUnderTest Runtime { get; }

    public string NewId(string prefix) => _fixture.NewId(prefix, Runtime.Name);

    /// <summary>Runs at the end of the test (last registered first), errors ignored.</summary>
    public void OnCleanup(Action cleanup) => _cleanups.Add(cleanup);

    /// <summary>Adds text to every failure message of this test (e.g. a component's log).</summary>
    public void AddDiagnostics(Func<string> diagnostics) => _diagnostics.Add(diagnostics);

    /// <summary>Records a timeout (shortening later ones for csrunsc) and returns <paramref name="result"/>.</summary>
    public CommandResult Note(CommandResult result)
    {
        if (result.TimedOut)
        {
            Runtime.NoteTimeout();
        }

        return result;
    }

    /// <summary>Fails unless <paramref name="result"/> exited with <paramref name="expectedExit"/>.</summary>
    public CommandResult Expect(CommandResult result, int expectedExit, string what)
    {
        Note(result);
        if (result.TimedOut || result.ExitCode != expectedExit)
        {
            Fail($"{what}: expected exit {expectedExit}, got {(result.TimedOut ? "a timeout" : $"exit {result.ExitCode}")}\n{result}");
        }

        return result;
    }

    public CommandResult ExpectSuccess(CommandResult result, string what) => Expect(result, 0, what);

    public void Check(bool condition, string message)
    {
        if (!condition)
        {
            Fail(message);
        }
    }

    /// <summary>Polls <paramref name="condition"/> for up to <paramref name="timeout"/>; fails with <paramref name="message"/>().</summary>
    public void WaitFor(Func<bool> condition, TimeSpan timeout, Func<string> message)
    {
        if (!HostInspector.WaitUntil(condition, timeout, TimeSpan.FromMilliseconds(100)))
        {
            Fail($"after {timeout.TotalSeconds:F0}s: {message()}");
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public void Fail(string message)
    {
        var text = new StringBuilder();
        text.Append($"[{Runtime.Name}: {Runtime.Executable}] {message}\n");
        text.Append($"--- runtime calls during this test ({Runtime.CallLog}) ---\n{Runtime.CallsSince(_callMark)}\n");
        foreach (var diagnostics in _diagnostics)
        {
            try
            {
                text.Append(diagnostics()).Append('\n');
            }
            catch (Exception e)
            {
                text.Append($"(diagnostics failed: {e.Message})\n");
            }
        }

        throw new XunitException(text.ToString());
    }

    /// <summary>
    /// Fails when, within a grace period, any of these is still there: a live process in
    /// <paramref name="pids"/>; a live process whose command line names one of
    /// <paramref name="ids"/> or one of <paramref name="dirs"/>; a live process of the runtime's
    /// executable whose cwd is under <paramref name="dirs"/>; a mount under <paramref name="dirs"/>.
    /// </summary>
    public void AssertNothingLeft(IReadOnlyCollection<string> ids, IReadOnlyCollection<int> pids, IReadOnlyCollection<string> dirs, int? exceptPid = null)
    {
        List<string> leftovers = [];
        var clean = HostInspector.WaitUntil(() =>
        {
            leftovers = FindLeftovers(ids, pids, dirs, exceptPid);
            return leftovers.Count == 0;
        }, LeftoverGrace, TimeSpan.FromMilliseconds(200));
        if (!clean)
        {
            Fail($"left behind {LeftoverGrace.TotalSeconds:F0}s after the containers were removed:\n  " + string.Join("\n  ", leftovers));
        }
    }

    private List<string> FindLeftovers(IReadOnlyCollection<string> ids, IReadOnlyCollection<int> pids, IReadOnlyCollection<string> dirs, int? exceptPid)
    {
        var leftovers = new List<string>();
        foreach (var pid in pids.Where(HostInspector.IsAlive))
        {
            leftovers.Add($"container process {pid}: {HostProcess.TryRead(pid)?.CommandLine}");
        }

        foreach (var process in HostInspector.LiveProcesses(p => p.Pid != exceptPid && !pids.Contains(p.Pid)))
        {
            var cwd = ReadLink($"/proc/{process.Pid}/cwd");
            var exe = ReadLink($"/proc/{process.Pid}/exe");
            if (ids.Any(id => process.CommandLine.Contains(id, StringComparison.Ordinal))
                || dirs.Any(dir => process.CommandLine.Contains(dir, StringComparison.Ordinal))
                || (exe == Runtime.Executable && dirs.Any(dir => cwd.StartsWith(dir, StringComparison.Ordinal))))
            {
                leftovers.Add($"process {process.Pid} ({process.Name}, cwd {cwd}): {process.CommandLine}");
            }
        }

        leftovers.AddRange(HostInspector.MountsUnder([.. dirs]).Select(m => $"mount {m}"));
        return leftovers;
    }

    private static string ReadLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget ?? "";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    public void Dispose()
    {
        for (var i = _cleanups.Count - 1; i >= 0; i--)
        {
            try
            {
                _cleanups[i]();
            }
            catch (Exception)
            {
                // Best effort: the fixture's teardown catches what is left.
            }
        }
    }
}
