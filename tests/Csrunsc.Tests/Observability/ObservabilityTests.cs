using System.Diagnostics;
using System.Text.RegularExpressions;
using Csrunsc.Tests.Differential;
using Xunit;

namespace Csrunsc.Tests.Observability;

/// <summary>
/// --strace (strace-shaped lines), the exit summary of unimplemented/partial syscalls, and
/// `csrunsc debug ID --syscall-stats` on a running container, all through the CLI.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed partial class ObservabilityTests(DifferentialFixture fixture)
{
    [GeneratedRegex(@"^\[pid \d+\] \d\d:\d\d:\d\d\.\d{6} [a-z_0-9]+\(", RegexOptions.Multiline)]
    private static partial Regex SyscallLine();

    private (int Exit, string Stdout, string Log, string Id, string Root) Run(string[] globalFlags, string[] args, Action<string, string, string>? whileRunning = null)
    {
        string id = fixture.Runner.NewContainerId(ContainerRunner.Csrunsc);
        string bundle = fixture.Runner.CreateBundle(id, args);
        string root = fixture.StateRootFor(ContainerRunner.Csrunsc);
        string log = Path.Join(bundle, "debug.log");
        var psi = new ProcessStartInfo(ContainerRunner.ResolveRuntime(ContainerRunner.Csrunsc))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var a in new[] { "--root", root }.Concat(globalFlags).Concat(["--debug-log", log, "run", "--bundle", bundle, id])) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            whileRunning?.Invoke(id, root, log);
            Assert.True(p.WaitForExit(30000), "run timed out");
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            Csrunsc(root, "delete", "-f", id);
        }
        return (p.ExitCode, stdout.Result, File.Exists(log) ? File.ReadAllText(log) : "", id, root);
    }

    private static (int Exit, string Stdout) Csrunsc(string root, params string[] args)
    {
        var psi = new ProcessStartInfo(ContainerRunner.ResolveRuntime(ContainerRunner.Csrunsc)) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("--root");
        psi.ArgumentList.Add(root);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string o = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit(15000);
        return (p.ExitCode, o);
    }

    [RootRequiredFact]
    public void StraceOfCatReadsLikeStrace()
    {
        var r = Run(["--strace"], ["cat", "/etc/hostname"]);
        Assert.Equal(0, r.Exit);
        Assert.Matches(@"\] \S+ openat\(AT_FDCWD, ""/etc/hostname"", O_RDONLY\) = 3\n", r.Log);
        Assert.Matches(@"\] \S+ (sendfile\(1, 3, NULL, \d+\)|read\(3, "".*"", \d+\)) = \d+\n", r.Log);
        Assert.Matches(@"\] \S+ close\(3\) = 0\n", r.Log);
        Assert.Matches(@"\] \S+ exit_group\(0\) = \?\n", r.Log);
        Assert.Matches(@"\] \S+ \+\+\+ exited with 0 \+\+\+\n", r.Log);
        Assert.Matches(@"= -1 E[A-Z]+ \([A-Z][a-z ]+\)", r.Log); // errno names (rseq or similar)
    }

    [RootRequiredFact]
    public void StraceSyscallsFilters()
    {
        var r = Run(["--strace-syscalls", "openat,close"], ["cat", "/etc/hostname"]);
        Assert.Equal(0, r.Exit);
        Assert.Contains("openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY) = 3", r.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("sendfile(", r.Log, StringComparison.Ordinal);
        Assert.DoesNotContain(" brk(", r.Log, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void ExitSummaryListsUnimplementedCall()
    {
        var r = Run([], ["/bin/unimplemented_call"]);
        Assert.Contains("unimplemented_call: ok (0 failures)", r.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"csrunsc: summary: unimplemented syscall add_key \(248\): 1 call, 1 failed, first by ""unimplemented_c""", r.Log);
    }

    [RootRequiredFact]
    public void SyscallStatsTotalEqualsStraceLineCount()
    {
        string stats = "";
        int straceLines = -1;
        var r = Run(["--strace"], ["sh", "-c", "cat /etc/hostname; sleep 6"], (id, root, log) =>
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(20) && !(File.Exists(log) && File.ReadAllText(log).Contains("close(3) = 0", StringComparison.Ordinal)))
                Thread.Sleep(100);
            Thread.Sleep(2000); // cat is done; sleep is now blocked in its nanosleep, sh in wait4
            string before = File.ReadAllText(log);
            var (exit, output) = Csrunsc(root, "debug", id, "--syscall-stats");
            string after = File.ReadAllText(log);
            Assert.True(exit == 0, output);
            Assert.Equal(before, after);
            stats = output;
            straceLines = SyscallLine().Matches(before).Count(m => !before.AsSpan(m.Index).StartsWith("---") );
        });
        Assert.Equal(0, r.Exit);
        var total = Regex.Match(stats, @"^total\s+(\d+)\s+(\d+)", RegexOptions.Multiline);
        Assert.True(total.Success, stats);
        Assert.Equal(straceLines, int.Parse(total.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Matches(@"(?m)^openat\s+\d+", stats);
    }

    /// <summary>Runs `sh -c SCRIPT` and, once it printed "ready", calls check while it sleeps.</summary>
    private void WhileSleeping(string script, Action<string, string> check)
    {
        var r = Run([], ["sh", "-c", script], (id, root, _) =>
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(20) && !Csrunsc(root, "debug", id, "--ps").Stdout.Contains("sleep", StringComparison.Ordinal))
                Thread.Sleep(100);
            Thread.Sleep(300);
            check(id, root);
        });
        Assert.Equal(0, r.Exit);
    }

    [RootRequiredFact]
    public void DebugFdsMountsPsAndTasksOfARunningContainer()
    {
        WhileSleeping("exec 5</etc/hostname; exec 6>/dev/shm/out.txt; sleep 5; echo done", (id, root) =>
        {
            var (exit, fds) = Csrunsc(root, "debug", id, "--fds", "1");
            Assert.True(exit == 0, fds);
            Assert.Matches(@"(?m)^5\tno\tO_RDONLY(\|O_LARGEFILE)?\t0\t/etc/hostname$", fds);
            Assert.Matches(@"(?m)^6\tno\tO_WRONLY(\|O_LARGEFILE)?\t0\t/dev/shm/out\.txt$", fds);
            Assert.Matches(@"(?m)^1\tno\tO_WRONLY\S*\t\d+\t\S+$", fds); // the host pipe run was given

            var (mexit, mounts) = Csrunsc(root, "debug", id, "--mounts");
            Assert.True(mexit == 0, mounts);
            Assert.Matches(@"(?m)^/\t\S+\t\S+\t\S+\tgofer$", mounts);
            Assert.Matches(@"(?m)^/proc\tproc\t\S+\t\S+\tsentry$", mounts);
            Assert.Matches(@"(?m)^/dev\ttmpfs\t\S+\t\S+\tsentry \(memory file\)$", mounts);

            var (pexit, ps) = Csrunsc(root, "debug", id, "--ps");
            Assert.True(pexit == 0, ps);
            Assert.Matches(@"(?m)^1\t0\t1\tS/R \(live\)\tsh$", ps);
            var sleeper = Regex.Match(ps, @"(?m)^(\d+)\t1\t1\tS/R \(live\)\tsleep$");
            Assert.True(sleeper.Success, ps);

            // The task table: sh is blocked in wait4, sleep in its (clock_)nanosleep.
            var (texit, tasks) = Csrunsc(root, "debug", id, "--tasks");
            Assert.True(texit == 0, tasks);
            Assert.Matches(@"(?m)^1\t1\t[1-9]\d*\tsh\tin syscall wait4\(", tasks);
            Assert.Matches($@"(?m)^{sleeper.Groups[1].Value}\t{sleeper.Groups[1].Value}\t[1-9]\d*\tsleep\tin syscall (clock_)?nanosleep\(.* for \d+ ms$", tasks);

            var (nexit, none) = Csrunsc(root, "debug", id, "--fds", "4242");
            Assert.NotEqual(0, nexit);
            Assert.Contains("no such process", none, StringComparison.Ordinal);
        });
    }
}
