using System.Text.Json.Nodes;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// seccomp: config.json's linux.seccomp (compiled by csrunsc, evaluated by the Sentry) and the
/// guest's own seccomp(2) filters, each compared with runc on the same bundle.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class SeccompTests(DifferentialFixture fixture)
{
    private static JsonObject Rule(string action, params string[] names) =>
        new() { ["names"] = new JsonArray(names.Select(n => (JsonNode)n).ToArray()), ["action"] = action };

    private static Action<JsonObject> WithSeccomp(string defaultAction, params JsonObject[] rules) => config =>
        ((JsonObject)config["linux"]!)["seccomp"] = new JsonObject
        {
            ["defaultAction"] = defaultAction,
            ["architectures"] = new JsonArray("SCMP_ARCH_X86_64"),
            ["syscalls"] = new JsonArray(rules.Select(r => r.DeepClone()).ToArray()),
        };

    private static Action<JsonObject> WithProfile(string file) => config =>
        ((JsonObject)config["linux"]!)["seccomp"] = JsonNode.Parse(File.ReadAllText(Path.Join(RepositoryLayout.AssetsDir, "seccomp", file)));

    [RootRequiredFact]
    public void ErrnoRulesWithDefaultAndCustomValues()
    {
        var custom = Rule("SCMP_ACT_ERRNO", "rmdir", "unlinkat");
        custom["errnoRet"] = 28;
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner,
            WithSeccomp("SCMP_ACT_ALLOW", Rule("SCMP_ACT_ERRNO", "mkdir", "mkdirat", "no_such_syscall"), custom),
            "sh", "-c", "mkdir /tmp/a 2>&1; echo rc=$?; rmdir /tmp 2>&1; echo rc=$?; echo still running");
        Assert.Contains("Operation not permitted", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("No space left on device", runc.Stdout, StringComparison.Ordinal);
        Assert.EndsWith("still running\n", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void ArgumentComparisons()
    {
        var personality = Rule("SCMP_ACT_ERRNO", "personality");
        personality["errnoRet"] = 22;
        personality["args"] = new JsonArray(new JsonObject { ["index"] = 0, ["value"] = 0xffffffffL, ["valueTwo"] = 0, ["op"] = "SCMP_CMP_NE" });
        var dgram = Rule("SCMP_ACT_ERRNO", "socket");
        dgram["errnoRet"] = 97;
        dgram["args"] = new JsonArray(
            new JsonObject { ["index"] = 0, ["value"] = 1, ["valueTwo"] = 0, ["op"] = "SCMP_CMP_EQ" },
            new JsonObject { ["index"] = 1, ["value"] = 0xf, ["valueTwo"] = 2, ["op"] = "SCMP_CMP_MASKED_EQ" });
        var vsock = Rule("SCMP_ACT_ERRNO", "socket");
        vsock["args"] = new JsonArray(new JsonObject { ["index"] = 0, ["value"] = 39, ["valueTwo"] = 0, ["op"] = "SCMP_CMP_GT" });
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner,
            WithSeccomp("SCMP_ACT_ALLOW", personality, dgram, vsock), "sh", "-c", "/bin/seccomp probe | grep -v unshare");
        Assert.Contains("personality(query) ok\npersonality(0x400000) Invalid argument\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("socket(AF_UNIX, SOCK_STREAM) ok\nsocket(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC) Address family not supported by protocol\nsocket(AF_VSOCK) Operation not permitted\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("Seccomp:\t2\n", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void KillProcessEndsTheProcessWithSigsys()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner,
            WithSeccomp("SCMP_ACT_ALLOW", Rule("SCMP_ACT_KILL_PROCESS", "uname")), "sh", "-c", "sh -c uname; echo rc=$?");
        Assert.True(runc.ExitCode == 159, runc.ToString());
        var (init, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner,
            WithSeccomp("SCMP_ACT_ALLOW", Rule("SCMP_ACT_KILL_PROCESS", "uname")), "uname");
        Assert.Equal(159, init.ExitCode);
    }

    [RootRequiredFact]
    public void DefaultErrnoWithAnAllowListRunsTheShell()
    {
        var allow = JsonNode.Parse(File.ReadAllText(Path.Join(RepositoryLayout.AssetsDir, "seccomp", "docker-default.json")))!["syscalls"]![0]!.DeepClone().AsObject();
        var names = allow["names"]!.AsArray();
        foreach (var n in names.Where(n => n!.GetValue<string>() is "mkdir" or "mkdirat").ToList()) names.Remove(n);
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner,
            config => WithSeccomp("SCMP_ACT_ERRNO", allow, Rule("SCMP_ACT_ALLOW", "arch_prctl", "clone"))(config),
            "sh", "-c", "echo hello; ls / >/dev/null && echo ls ok; mkdir /tmp/d 2>&1; echo rc=$?; cat /proc/self/status | grep ^Seccomp:");
        Assert.True(runc.Stdout.StartsWith("hello\nls ok\n", StringComparison.Ordinal), runc.ToString());
        Assert.Contains("Operation not permitted\nrc=1\n", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void DockerDefaultProfileOnBusybox()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, WithProfile("docker-default.json"),
            "sh", "-c", "echo hi > /tmp/f && cat /tmp/f && ls /bin | head -3 && ps >/dev/null && echo ps ok; "
                + "mount -t tmpfs none /mnt 2>&1; echo mount=$?; unshare -U true 2>&1; echo unshare=$?; "
                + "/bin/seccomp probe");
        Assert.Contains("mount=", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("unshare(CLONE_NEWUSER) Operation not permitted\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("socket(AF_VSOCK) Operation not permitted\n", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void GuestFiltersFromSeccompAndPrctl()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/seccomp");
        Assert.EndsWith("seccomp: ok (0 failures)\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, runc.ExitCode);
    }

    [RootRequiredFact]
    public void NotifyAndInvalidActionsAreRefusedAtCreate()
    {
        var notify = fixture.Runner.RunUnder(ContainerRunner.Csrunsc, ["true"],
            editConfig: WithSeccomp("SCMP_ACT_ALLOW", Rule("SCMP_ACT_NOTIFY", "getcwd")));
        DifferentialAssert.FailsWithOneLine(notify, 1, "SCMP_ACT_NOTIFY");
        var runcBad = fixture.Runner.RunUnder(ContainerRunner.Runc, ["true"], editConfig: WithSeccomp("SCMP_ACT_BOGUS"));
        var bad = fixture.Runner.RunUnder(ContainerRunner.Csrunsc, ["true"], editConfig: WithSeccomp("SCMP_ACT_BOGUS"));
        Assert.NotEqual(0, runcBad.ExitCode);
        DifferentialAssert.FailsWithOneLine(bad, runcBad.ExitCode, "SCMP_ACT_BOGUS");
    }
}
