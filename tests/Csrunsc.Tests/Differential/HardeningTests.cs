using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// Guest tricks that once crashed or wedged the Sentry, or that it answered unlike Linux
/// (tests/progs/hardening.c): the same lines as under runc, and the sandbox ends normally.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class HardeningTests(DifferentialFixture fixture)
{
    [RootRequiredTheory]
    [InlineData("farjump")]   // 32-bit code faulting on a fresh page wedged the tracer at 100% CPU
    [InlineData("int80")]     // int 0x80 was dispatched as a 64-bit call of the 32-bit registers
    [InlineData("vsyscall")]  // a vsyscall-page call killed the guest with SIGSYS
    [InlineData("trapflag")]  // TF stayed set in the signal handler
    [InlineData("mmaphint")]  // a hint whose range wrapped left a VMA with start > end
    [InlineData("stubrange")] // nothing above TASK_SIZE (where the stub lives) can be mapped, changed or unmapped
    public void GuestTrickIsAnsweredAsLinux(string trick)
    {
        var (runc, cs) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/hardening", trick);
        Assert.EndsWith($"hardening {trick}: ok (0 failures)\n", runc.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Sentry bug", cs.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("answered EIO", cs.Stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// tests/progs/syscall_fuzz.c: random syscalls with edge-value arguments and bad pointers in
    /// forked children. The Sentry answers every call (no escaped exception, no hang) and the
    /// container ends normally, printing the same final line as under runc.
    /// </summary>
    [RootRequiredTheory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void SyscallFuzzEndsWithTheSentryAlive(int seed)
    {
        string s = seed.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (runc, cs) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/syscall_fuzz", s, "20000", "200");
        Assert.Equal($"syscall_fuzz: seed {s}: ok\n", runc.Stdout);
        Assert.DoesNotContain("Sentry bug", cs.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("answered EIO", cs.Stderr, StringComparison.Ordinal);
    }

    [RootRequiredTheory]
    [InlineData("exec-thread", "exec from a non-leader thread: ok\n")]
    [InlineData("leader-exit", "leader exited before its threads: ok\n")]
    public void ThreadGroupCornerCase(string trick, string expected)
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/thread_lifecycle", trick);
        Assert.Equal(expected, runc.Stdout);
        Assert.Equal(0, runc.ExitCode);
    }

    /// <summary>
    /// A container with many threads in several states (spinning, in futex, read and sleep), a child
    /// with threads and a child whose leader exited (its stub leader parked in pause()): after
    /// `delete --force` or `kill KILL`, no host process of it remains — sandbox, stub or gofer.
    /// </summary>
    [RootRequiredTheory]
    [InlineData("delete")]
    [InlineData("kill")]
    public void NoHostProcessOutlivesAMultiThreadedContainer(string how)
    {
        var runner = fixture.Runner;
        var id = runner.NewContainerId(ContainerRunner.Csrunsc);
        var bundle = runner.CreateBundle(id, ["/bin/thread_lifecycle", "wedge", "/ready"]);
        using var container = runner.Start(ContainerRunner.Csrunsc, bundle, id);
        var marker = Path.Join(bundle, "rootfs", "ready");
        var clock = Stopwatch.StartNew();
        while (!File.Exists(marker))
        {
            if (container.Process.HasExited) Assert.Fail("the container ended before it was ready:\n" + container.WaitForExit(TimeSpan.FromSeconds(5)));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the container did not get ready in 30s");
            Thread.Sleep(50);
        }
        var exe = ContainerRunner.ResolveRuntime(ContainerRunner.Csrunsc);
        var state = JsonNode.Parse(HostCommand.Run(exe, "--root", container.StateRoot, "state", id))!;
        int sandbox = (int)state["pid"]!;
        var tree = Descendants(sandbox);
        // The sandbox and three stub processes (init and its two children) at least; the gofer is
        // the sandbox's sibling and is covered by LeftBehind (processes naming the container).
        Assert.True(tree.Count >= 4, $"expected the sandbox and 3 stubs, found {tree.Count}");

        if (how == "delete") HostCommand.Run(exe, "--root", container.StateRoot, "delete", "--force", id);
        else HostCommand.Run(exe, "--root", container.StateRoot, "kill", id, "KILL");

        clock.Restart();
        List<(int Pid, string Start)> alive;
        while ((alive = tree.Where(p => IsLive(p.Pid, p.Start)).ToList()).Count > 0 && clock.Elapsed < TimeSpan.FromSeconds(15))
            Thread.Sleep(50);
        Assert.True(alive.Count == 0, $"still alive after {how}: " + string.Join(", ", alive.Select(p => HostProcess.TryRead(p.Pid)?.ToString() ?? p.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        var result = container.WaitForExit(TimeSpan.FromSeconds(15));
        Assert.False(result.TimedOut, result.ToString());
        Assert.Empty(result.LeftBehind);
    }

    /// <summary>pid and every process below it, each with its start time (so a reused pid is not mistaken for it).</summary>
    private static List<(int Pid, string Start)> Descendants(int root)
    {
        var all = HostProcess.ListAll();
        var found = new List<(int, string)>();
        var queue = new Queue<int>([root]);
        while (queue.Count > 0)
        {
            int pid = queue.Dequeue();
            if (StartTime(pid) is { } start) found.Add((pid, start));
            foreach (var child in all.Where(p => p.ParentPid == pid)) queue.Enqueue(child.Pid);
        }
        return found;
    }

    /// <summary>Field 22 of /proc/PID/stat (after the parenthesised name).</summary>
    private static string? StartTime(int pid) => StatField(pid, 22);

    private static bool IsLive(int pid, string start) =>
        StartTime(pid) == start && StatField(pid, 3) is { } st && st != "Z" && st != "X";

    private static string? StatField(int pid, int field)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return rest.Length > field - 3 ? rest[field - 3] : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
