using System.Diagnostics;
using System.Text.Json.Nodes;
using Csrunsc.Tests.Differential;
using Xunit;

namespace Csrunsc.Tests.Observability;

/// <summary>
/// `run --profile-seccomp FILE` and `profile ID`: a linux.seccomp profile of exactly what the
/// workload called, which then runs the same workload unchanged under runc and csrunsc.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class SeccompProfileTests(DifferentialFixture fixture)
{
    private (int Exit, string Stdout) RunWithProfile(string[] args, string profile)
    {
        string id = fixture.Runner.NewContainerId(ContainerRunner.Csrunsc);
        string bundle = fixture.Runner.CreateBundle(id, args);
        string root = fixture.StateRootFor(ContainerRunner.Csrunsc);
        var psi = new ProcessStartInfo(ContainerRunner.ResolveRuntime(ContainerRunner.Csrunsc))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var a in new[] { "--root", root, "run", "--profile-seccomp", profile, "--bundle", bundle, id }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEndAsync();
        string o = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(60000), "run timed out");
        Assert.True(p.ExitCode == 0, o + err.Result);
        return (p.ExitCode, o);
    }

    [RootRequiredFact]
    public void ProfileOfAWorkloadRunsItUnderRuncAndCsrunsc()
    {
        string profileFile = Path.Join(Path.GetTempPath(), "csrunsc-profile-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            string[] workload = ["/bin/syscalls"];
            var (_, firstOutput) = RunWithProfile(workload, profileFile);
            var profile = JsonNode.Parse(File.ReadAllText(profileFile))!.AsObject();
            Assert.Equal("SCMP_ACT_ERRNO", (string?)profile["defaultAction"]);
            var names = profile["syscalls"]!.AsArray().SelectMany(r => r!["names"]!.AsArray().Select(n => (string)n!)).ToHashSet();
            // What the workload did is allowed; what it never did is not.
            foreach (var used in new[] { "openat", "getdents64", "wait4", "pipe2", "execve", "exit_group" })
                Assert.Contains(used, names);
            foreach (var unused in new[] { "mount", "ptrace", "add_key", "bpf", "init_module" })
                Assert.DoesNotContain(unused, names);

            var (runc, csrunsc) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner,
                config => ((JsonObject)config["linux"]!)["seccomp"] = profile.DeepClone(), workload);
            Assert.Equal(0, runc.ExitCode);
            Assert.Equal(firstOutput, csrunsc.Stdout);

            // The profile is a real filter: a call outside it fails under both runtimes.
            var (runcDenied, csrunscDenied) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner,
                config => ((JsonObject)config["linux"]!)["seccomp"] = profile.DeepClone(), "/bin/unimplemented_call");
            Assert.Contains("add_key: failed", runcDenied.Stdout, StringComparison.Ordinal);
            _ = csrunscDenied;
        }
        finally
        {
            File.Delete(profileFile);
        }
    }

    /// <summary>The rules of a profile naming one syscall, with their argument conditions.</summary>
    private static List<JsonArray?> RulesFor(JsonObject profile, string name) =>
        profile["syscalls"]!.AsArray()
            .Where(r => r!["names"]!.AsArray().Any(n => (string?)n == name))
            .Select(r => r!["args"] as JsonArray)
            .ToList();

    [RootRequiredFact]
    public void ProfileFiltersSocketFamiliesAndCloneNamespaceFlags()
    {
        string profileFile = Path.Join(Path.GetTempPath(), "csrunsc-profile-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            var (_, firstOutput) = RunWithProfile(["/bin/socket_families"], profileFile);
            Assert.Contains("socket_families: 0 failures", firstOutput, StringComparison.Ordinal);
            var profile = JsonNode.Parse(File.ReadAllText(profileFile))!.AsObject();

            // socket: one rule per family the workload used (AF_UNIX 1, AF_INET 2), none without a condition.
            var socket = RulesFor(profile, "socket");
            Assert.All(socket, args => Assert.NotNull(args));
            var families = socket.Select(args =>
            {
                var c = Assert.Single(args!)!;
                Assert.Equal(0, (int)c["index"]!);
                Assert.Equal("SCMP_CMP_EQ", (string?)c["op"]);
                return (int)c["value"]!;
            }).Order().ToList();
            Assert.Equal([1, 2], families);

            // clone (fork): allowed only without namespace bits, as Docker's profile has it.
            var clone = Assert.Single(RulesFor(profile, "clone"));
            var mask = Assert.Single(clone!)!;
            Assert.Equal("SCMP_CMP_MASKED_EQ", (string?)mask["op"]);
            Assert.Equal(0x7E020000UL, (ulong)mask["value"]!);
            Assert.Equal(0UL, (ulong)mask["valueTwo"]!);

            // The same workload runs unchanged under the profile, under runc and csrunsc.
            var (runc, csrunsc) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner,
                config => ((JsonObject)config["linux"]!)["seccomp"] = profile.DeepClone(), "/bin/socket_families");
            Assert.Equal(0, runc.ExitCode);
            Assert.Equal(firstOutput, csrunsc.Stdout);

            // A family it never used is refused with the profile's errno (defaultErrnoRet 1: EPERM).
            Assert.Equal(1, (int)profile["defaultErrnoRet"]!);
            var (runcNetlink, csrunscNetlink) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner,
                config => ((JsonObject)config["linux"]!)["seccomp"] = profile.DeepClone(), "/bin/socket_families", "netlink");
            Assert.Contains("AF_NETLINK: EPERM\n", csrunscNetlink.Stdout, StringComparison.Ordinal);
            Assert.Contains("AF_INET: ok\nAF_UNIX: ok\n", csrunscNetlink.Stdout, StringComparison.Ordinal);
            _ = runcNetlink;

            // Without the profile AF_NETLINK opens (so the EPERM above is the filter's).
            var open = fixture.Runner.RunUnder(ContainerRunner.Csrunsc, ["/bin/socket_families", "netlink"]);
            Assert.Contains("AF_NETLINK: ok\n", open.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(profileFile);
        }
    }

    [RootRequiredFact]
    public void ProfileOfARunningContainer()
    {
        string id = fixture.Runner.NewContainerId(ContainerRunner.Csrunsc);
        string bundle = fixture.Runner.CreateBundle(id, ["sh", "-c", "cat /etc/hostname >/dev/null; sleep 5; echo done"]);
        string root = fixture.StateRootFor(ContainerRunner.Csrunsc);
        using var c = fixture.Runner.Start(ContainerRunner.Csrunsc, bundle, id);
        string json = "";
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20) && !json.Contains("\"clock_nanosleep\"", StringComparison.Ordinal) && !json.Contains("\"nanosleep\"", StringComparison.Ordinal))
        {
            Thread.Sleep(200);
            var psi = new ProcessStartInfo(ContainerRunner.ResolveRuntime(ContainerRunner.Csrunsc)) { RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in new[] { "--root", root, "profile", id }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            json = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
        }
        var names = JsonNode.Parse(json)!["syscalls"]!.AsArray().SelectMany(r => r!["names"]!.AsArray().Select(n => (string)n!)).ToHashSet();
        Assert.Contains("openat", names);
        Assert.Contains("wait4", names);
        Assert.Contains("clone", names);
    }
}
