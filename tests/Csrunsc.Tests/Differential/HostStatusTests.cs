using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// What the host sees of a running container's processes (/proc/PID/task/TID/status of the
/// sandbox process, the gofer and the stubs): the values ARCHITECTURE.md ("Host-side status")
/// promises, beside gVisor's. Capabilities, no_new_privs and the uid are per thread, so every
/// thread is read.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class HostStatusTests(DifferentialFixture fixture)
{
    private const uint SandboxUidBase = 0x5A000000;
    private const ulong NetworkCapabilities = (1UL << 10) | (1UL << 12) | (1UL << 13);
    private const ulong GoferCapabilities = 0x1f; // CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID

    [RootRequiredFact]
    public void SentryGoferAndStubsRunUnprivilegedAndFiltered() => CheckRunningContainer(sentryFiltered: false);

    /// <summary>CSRUNSC_SENTRY_SECCOMP=enforce (opt-in): the same, and every Sentry thread filtered with no_new_privs.</summary>
    [RootRequiredFact]
    public void SentryFilterCoversEveryThreadWhenEnforced() => CheckRunningContainer(sentryFiltered: true);

    /// <summary>
    /// Programs run under the enforced Sentry filter as without it (a missing entry kills the
    /// sandbox with SIGSYS): the same final line and exit status as under runc.
    /// </summary>
    [RootRequiredTheory]
    [InlineData("/bin/syscall_fuzz", "3", "5000", "200")]
    [InlineData("/bin/fork_threads")]
    [InlineData("/bin/net_inet")]
    [InlineData("/bin/jobctl")]
    [InlineData("/bin/locks")]
    [InlineData("/bin/unix_stream")]
    public void ProgramsRunUnderTheEnforcedSentryFilter(params string[] args)
    {
        var runner = fixture.Runner;
        var expected = runner.RunUnder(ContainerRunner.Runc, args);
        var id = runner.NewContainerId(ContainerRunner.Csrunsc);
        var bundle = runner.CreateBundle(id, args);
        using var container = runner.Start(ContainerRunner.Csrunsc, bundle, id, environment: Enforced);
        var result = container.WaitForExit(TimeSpan.FromMinutes(3));
        Assert.False(result.TimedOut, result.ToString());
        Assert.Equal(expected.ExitCode, result.ExitCode);
        Assert.Equal(expected.Stdout.TrimEnd().Split('\n')[^1], result.Stdout.TrimEnd().Split('\n')[^1]);
    }

    private static readonly Dictionary<string, string> Enforced = new() { ["CSRUNSC_SENTRY_SECCOMP"] = "enforce" };

    private void CheckRunningContainer(bool sentryFiltered)
    {
        var runner = fixture.Runner;
        var id = runner.NewContainerId(ContainerRunner.Csrunsc);
        var bundle = runner.CreateBundle(id, ["/bin/thread_lifecycle", "wedge", "/ready"]);
        using var container = runner.Start(ContainerRunner.Csrunsc, bundle, id, environment: sentryFiltered ? Enforced : null);
        var marker = Path.Join(bundle, "rootfs", "ready");
        var clock = Stopwatch.StartNew();
        while (!File.Exists(marker))
        {
            if (container.Process.HasExited) Assert.Fail("the container ended before it was ready:\n" + container.WaitForExit(TimeSpan.FromSeconds(5)));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the container did not get ready in 30s");
            Thread.Sleep(50);
        }
        var exe = ContainerRunner.ResolveRuntime(ContainerRunner.Csrunsc);
        try
        {
            var state = JsonNode.Parse(HostCommand.Run(exe, "--root", container.StateRoot, "state", id))!;
            int sandbox = (int)state["pid"]!;
            string uid = (SandboxUidBase + (uint)sandbox).ToString(System.Globalization.CultureInfo.InvariantCulture);
            string uids = $"{uid}\t{uid}\t{uid}\t{uid}";
            var children = HostProcess.ListAll().Where(p => p.ParentPid == sandbox).ToList();
            var gofer = Assert.Single(children, p => p.CommandLine.StartsWith("csrunsc-gofer gofer", StringComparison.Ordinal));
            var stubs = children.Where(p => p.Name == "stub").ToList();
            Assert.True(stubs.Count >= 3, $"expected init's stub and its two children's, found {stubs.Count}");

            // The Sentry: the sandbox's own uid and gid on every thread, no capability except the
            // guest's granted network ones on the one network-namespace thread.
            var sentry = Threads(sandbox);
            Assert.All(sentry, t => Assert.Equal(uids, t["Uid"]));
            Assert.All(sentry, t => Assert.Equal(uids, t["Gid"]));
            var privileged = sentry.Where(t => Hex(t["CapEff"]) != 0).ToList();
            Assert.True(privileged.Count <= 1, "more than one Sentry thread holds capabilities");
            Assert.All(privileged, t => Assert.Equal(0UL, Hex(t["CapEff"]) & ~NetworkCapabilities));
            Assert.All(sentry, t => Assert.Equal(0UL, Hex(t["CapPrm"]) & ~NetworkCapabilities));
            if (sentryFiltered)
            {
                Assert.All(sentry, t => Assert.Equal("2", t["Seccomp"]));
                Assert.All(sentry, t => Assert.Equal("1", t["NoNewPrivs"]));
            }

            // The gofer: the same uid, seccomp-filtered with no_new_privs on every thread, the
            // five file capabilities on its serving thread only, bounded to them there.
            var goferThreads = Threads(gofer.Pid);
            Assert.All(goferThreads, t => Assert.Equal(uids, t["Uid"]));
            Assert.All(goferThreads, t => Assert.Equal("2", t["Seccomp"]));
            Assert.All(goferThreads, t => Assert.Equal("1", t["NoNewPrivs"]));
            var serving = Assert.Single(goferThreads, t => Hex(t["CapEff"]) != 0);
            Assert.Equal(GoferCapabilities, Hex(serving["CapEff"]));
            Assert.Equal(GoferCapabilities, Hex(serving["CapPrm"]));
            Assert.Equal(GoferCapabilities, Hex(serving["CapBnd"]));
            Assert.All(goferThreads, t => Assert.Equal(0UL, Hex(t["CapInh"]) | Hex(t["CapAmb"])));

            // The gofer's mount view: its own namespace whose root holds only its attach points
            // (a0 the rootfs, aN the bind sources), and no directory fd that leads anywhere else —
            // `..` from anything it holds stops at that root, not at the host's.
            Assert.NotEqual(LinkOf($"/proc/{sandbox}/ns/mnt"), LinkOf($"/proc/{gofer.Pid}/ns/mnt"));
            // (ls walks the `..`; .NET would drop "root/.." from the path lexically.)
            var viewRoot = HostCommand.Run("ls", "-A", $"/proc/{gofer.Pid}/root/..").Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
            Assert.Contains("a0", viewRoot);
            Assert.All(viewRoot, name => Assert.Matches("^a[0-9]+$", name!));
            foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{gofer.Pid}/fd"))
            {
                var target = LinkOf(fd);
                if (target is not null && Directory.Exists(fd))
                    Assert.True(target == "/" || System.Text.RegularExpressions.Regex.IsMatch(target, "^/a[0-9]+(/|$)"),
                        $"gofer fd {fd} is a directory outside its view: {target}");
            }

            // The stubs: the same uid, no capability, their own filter, no_new_privs.
            foreach (var stub in stubs)
            {
                foreach (var t in Threads(stub.Pid))
                {
                    Assert.Equal(uids, t["Uid"]);
                    Assert.Equal(0UL, Hex(t["CapEff"]) | Hex(t["CapPrm"]));
                    Assert.Equal("2", t["Seccomp"]);
                    Assert.Equal("1", t["NoNewPrivs"]);
                }
            }
        }
        finally
        {
            HostCommand.Run(exe, "--root", container.StateRoot, "delete", "--force", id);
            container.WaitForExit(TimeSpan.FromSeconds(15));
        }
    }

    private static string? LinkOf(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null; // closed meanwhile
        }
    }

    private static ulong Hex(string value) => ulong.Parse(value, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The status fields of every thread of pid (threads that end while read are skipped).</summary>
    private static List<Dictionary<string, string>> Threads(int pid)
    {
        var threads = new List<Dictionary<string, string>>();
        foreach (var dir in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                var fields = new Dictionary<string, string>();
                foreach (var line in File.ReadLines(Path.Join(dir, "status")))
                {
                    int colon = line.IndexOf(':');
                    if (colon > 0) fields[line[..colon]] = line[(colon + 1)..].Trim();
                }
                threads.Add(fields);
            }
            catch (IOException)
            {
                // The thread ended meanwhile.
            }
        }
        Assert.NotEmpty(threads);
        return threads;
    }
}
