using System.Diagnostics;
using System.Text.RegularExpressions;
using Csrunsc.Native;
using Csrunsc.Tests.Differential;
using Xunit;

namespace Csrunsc.Tests.Observability;

/// <summary>
/// `--debug-log DIR/`: one file per process role (each CLI command, the sandbox, the gofer) named
/// ID.ROLE.PID.log, each capped with one older generation in .1.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class DebugLogTests(DifferentialFixture fixture)
{
    /// <summary>csrunsc ARGS with stdio in files (a created container keeps create's stdout open until it exits).</summary>
    private static (int Exit, string Output) Csrunsc(string dir, params string[] args)
    {
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var a in new[] { "-c", "\"$0\" \"$@\" >>\"$OUT\" 2>&1 </dev/null", ContainerRunner.ResolveRuntime(ContainerRunner.Csrunsc) }.Concat(args))
            psi.ArgumentList.Add(a);
        string output = Path.Join(dir, "output");
        psi.Environment["OUT"] = output;
        long before = File.Exists(output) ? new FileInfo(output).Length : 0;
        using var p = Process.Start(psi)!;
        Assert.True(p.WaitForExit(30000), "csrunsc " + string.Join(' ', args) + " timed out");
        string all = File.Exists(output) ? File.ReadAllText(output) : "";
        return (p.ExitCode, all[(int)Math.Min(before, all.Length)..]);
    }

    [RootRequiredFact]
    public void DirectoryGetsOneFilePerRole()
    {
        string id = fixture.Runner.NewContainerId(ContainerRunner.Csrunsc);
        string bundle = fixture.Runner.CreateBundle(id, ["cat", "/etc/hostname"]);
        string root = fixture.StateRootFor(ContainerRunner.Csrunsc);
        string dir = Path.Join(bundle, "logs") + "/"; // does not exist yet: the trailing '/' makes it a directory
        string pidFile = Path.Join(bundle, "pid");
        string[] global = ["--root", root, "--debug-log", dir, "--strace"];
        try
        {
            var create = Csrunsc(bundle, [.. global, "create", "--bundle", bundle, "--pid-file", pidFile, id]);
            Assert.True(create.Exit == 0, create.Output);
            int sandboxPid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            var start = Csrunsc(bundle, [.. global, "start", id]);
            Assert.True(start.Exit == 0, start.Output);
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(20) && !Csrunsc(bundle, "--root", root, "state", id).Output.Contains("\"stopped\"", StringComparison.Ordinal))
                Thread.Sleep(100);
            var delete = Csrunsc(bundle, [.. global, "delete", id]);
            Assert.True(delete.Exit == 0, delete.Output);

            var files = Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            string listing = string.Join("\n", files);
            string One(string role)
            {
                var named = files.Where(f => Regex.IsMatch(f!, $@"^{Regex.Escape(id)}\.{role}\.\d+\.log$")).ToList();
                Assert.True(named.Count == 1, $"one {role} file expected:\n{listing}");
                return Path.Join(dir, named[0]);
            }

            // The CLI commands: their command line first, their exit status last.
            foreach (var command in new[] { "create", "start", "delete" })
            {
                var lines = File.ReadAllLines(One(command));
                Assert.Matches($@"level=info msg=""csrunsc .*--debug-log {Regex.Escape(dir)} --strace {command} .*{Regex.Escape(id)} \(pid \d+\)""", lines[0]);
                Assert.EndsWith($"msg=\"csrunsc {command}: exit status 0\"", lines[^1], StringComparison.Ordinal);
                Assert.DoesNotContain(lines, l => l.Contains("openat(", StringComparison.Ordinal));
            }
            // The `state` calls had no --debug-log: no file.
            Assert.DoesNotContain(files, f => f!.Contains(".state.", StringComparison.Ordinal));

            // The sandbox: named by the pid-file process, with the Sentry's --strace lines.
            string sandbox = One("sandbox");
            Assert.Equal($"{id}.sandbox.{sandboxPid}.log", Path.GetFileName(sandbox));
            string sandboxLog = File.ReadAllText(sandbox);
            Assert.Contains($"csrunsc boot: the sandbox of {id}", sandboxLog, StringComparison.Ordinal);
            Assert.Matches(@"\[pid 1\] \S+ openat\(AT_FDCWD, ""/etc/hostname"", O_RDONLY\) = 3\n", sandboxLog);
            Assert.Matches(@"\+\+\+ exited with 0 \+\+\+\n", sandboxLog);

            // The gofer: written before and after it confined itself (chroot, host uid, seccomp).
            string gofer = File.ReadAllText(One("gofer"));
            Assert.Contains($"csrunsc gofer: serving {Path.Join(bundle, "rootfs")}", gofer, StringComparison.Ordinal);
            Assert.Contains("csrunsc gofer: confined (chroot into the rootfs", gofer, StringComparison.Ordinal);
            Assert.Contains("csrunsc gofer: the Sentry closed the channel; exiting", gofer, StringComparison.Ordinal);
            Assert.DoesNotContain("openat(", gofer, StringComparison.Ordinal);

            // Each file has its (empty) older generation, opened with it before confinement.
            foreach (var f in files.Where(f => f!.EndsWith(".log", StringComparison.Ordinal)))
                Assert.Contains(f + ".1", files);
        }
        finally
        {
            Csrunsc(bundle, "--root", root, "delete", "-f", id);
        }
    }

    [RootRequiredFact]
    public void ConfinedSandboxRotatesItsFile()
    {
        string id = fixture.Runner.NewContainerId(ContainerRunner.Csrunsc);
        string bundle = fixture.Runner.CreateBundle(id, ["sh", "-c", "i=0; while [ $i -lt 150 ]; do cat /etc/hostname >/dev/null; i=$((i+1)); done; echo done"]);
        string root = fixture.StateRootFor(ContainerRunner.Csrunsc);
        string dir = Path.Join(bundle, "logs") + "/";
        const int cap = 32768;
        Environment.SetEnvironmentVariable("CSRUNSC_DEBUG_LOG_MAX_BYTES", cap.ToString(System.Globalization.CultureInfo.InvariantCulture));
        (int Exit, string Output) run;
        try
        {
            run = Csrunsc(bundle, "--root", root, "--debug-log", dir, "--strace", "run", "--bundle", bundle, id);
        }
        finally
        {
            Environment.SetEnvironmentVariable("CSRUNSC_DEBUG_LOG_MAX_BYTES", null);
        }
        Assert.True(run.Exit == 0, run.Output);
        Assert.Contains("done", run.Output, StringComparison.Ordinal);
        string sandbox = Assert.Single(Directory.GetFiles(dir, $"{id}.sandbox.*.log"));
        string current = File.ReadAllText(sandbox), previous = File.ReadAllText(sandbox + ".1");
        // Far more than the cap was written (150 cats of ~25 calls each) after the Sentry chrooted and dropped root.
        Assert.True(new FileInfo(sandbox).Length <= cap, "over the cap: " + new FileInfo(sandbox).Length);
        Assert.True(previous.Length > cap / 2, "nothing rotated into .1: " + previous.Length);
        Assert.DoesNotContain("csrunsc boot:", previous + current, StringComparison.Ordinal); // the first lines rotated away
        Assert.Matches(@"\[pid 1\] \S+ \+\+\+ exited with 0 \+\+\+\n(csrunsc: summary: .*\n)*$", current); // the exit summary follows
        Assert.Matches(@"^\[pid \d+\] ", previous); // whole lines: the rotation happens between writes
    }

    [RootRequiredFact]
    public void FileKeepsTheSentryEventsOnly()
    {
        string id = fixture.Runner.NewContainerId(ContainerRunner.Csrunsc);
        string bundle = fixture.Runner.CreateBundle(id, ["cat", "/etc/hostname"]);
        string root = fixture.StateRootFor(ContainerRunner.Csrunsc);
        string file = Path.Join(bundle, "debug.log");
        var run = Csrunsc(bundle, "--root", root, "--debug-log", file, "--strace", "run", "--bundle", bundle, id);
        Assert.True(run.Exit == 0, run.Output);
        string log = File.ReadAllText(file);
        Assert.Matches(@"openat\(AT_FDCWD, ""/etc/hostname"", O_RDONLY\) = 3\n", log);
        Assert.DoesNotContain("csrunsc gofer:", log, StringComparison.Ordinal);
        Assert.False(File.Exists(file + ".1"));
    }
}

/// <summary>The size cap of a role file: content moves to PATH.1, the file starts again.</summary>
public sealed class RotatingLogFileTests
{
    [Fact]
    public void RotatesPastTheCapKeepingOneGeneration()
    {
        string path = Path.Join(Path.GetTempPath(), "csrunsc-rotate-" + Guid.NewGuid().ToString("N") + ".log");
        try
        {
            File.WriteAllText(path, "earlier line\n");
            var log = RotatingLogFile.Open(path, 4096, out int errno);
            Assert.True(log is not null, "errno " + errno);
            var written = new List<string>();
            for (int i = 0; i < 200; i++)
            {
                string line = $"line {i:D4} " + new string('x', 50) + "\n";
                written.Add(line);
                log!.Write(line);
                Assert.True(new FileInfo(path).Length <= 4096, $"over the cap after line {i}");
            }
            Assert.True(log!.Rotations >= 2, "rotations: " + log.Rotations);
            string current = File.ReadAllText(path), previous = File.ReadAllText(path + ".1");
            Assert.True(previous.Length > 4096 - 100 && previous.Length <= 4096, "previous generation: " + previous.Length);
            // The two generations are the newest lines, in order, with nothing lost between them.
            string tail = previous + current;
            Assert.EndsWith(string.Concat(written.TakeLast(10)), tail, StringComparison.Ordinal);
            Assert.EndsWith(tail, "earlier line\n" + string.Concat(written), StringComparison.Ordinal);
            Assert.StartsWith("line ", previous, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
            File.Delete(path + ".1");
        }
    }
}
