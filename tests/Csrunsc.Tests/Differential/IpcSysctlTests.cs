using System.Text.Json.Nodes;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// config.json's IPC namespace sysctls (kernel.shm*, kernel.sem, kernel.msg*, fs.mqueue.*) as runc
/// applies them: visible in /proc/sys and enforced by shmget/semget/semop/msgsnd/mq_open and the
/// IPC_INFO answers (tests/progs/ipc_limits.c under runc and csrunsc); values the kernel rejects
/// and IPC sysctls without an IPC namespace fail create as under runc.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class IpcSysctlTests(DifferentialFixture fixture)
{
    private static Action<JsonObject> Sysctls(params (string Key, string Value)[] sysctls) => c =>
    {
        var map = new JsonObject();
        foreach (var (k, v) in sysctls) map[k] = v;
        c["linux"]!["sysctl"] = map;
    };

    [RootRequiredFact]
    public void LimitsAreVisibleAndEnforced()
    {
        var edit = Sysctls(("kernel.shmmax", "1048576"), ("kernel.shmall", "4096"), ("kernel.shmmni", "100"),
            ("kernel.sem", "50 2000 20"), ("kernel.msgmax", "4096"), ("kernel.msgmnb", "8192"), ("kernel.msgmni", "50"),
            ("fs.mqueue.msg_max", "40"), ("fs.mqueue.msg_default", "20"), ("fs.mqueue.msgsize_default", "1024"),
            ("fs.mqueue.queues_max", "10"), ("fs.mqueue.msgsize_max", "4096"));
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, edit, "/bin/ipc_limits");
        Assert.Contains("kernel/sem: 50\t2000\t20\t32000\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("shmget(shmmax+1) EINVAL\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("semop(semopm+1 ops) E2BIG\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("mq_open(maxmsg=msg_max+1) EINVAL\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("default queue: maxmsg 20 msgsize 1024\n", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void DefaultsAsLinux()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/ipc_limits");
        Assert.Contains("msgsnd(msgmax+1) EINVAL\n", runc.Stdout, StringComparison.Ordinal);
    }

    public static TheoryData<string> RefusedCases => ["shmmni-above-ipcmni", "msg-max-zero", "sem-semmni-above-ipcmni", "no-ipc-namespace"];

    [RootRequiredTheory]
    [MemberData(nameof(RefusedCases))]
    public void RefusedAtCreateLikeRunc(string refusedCase)
    {
        Action<JsonObject> edit = refusedCase switch
        {
            "shmmni-above-ipcmni" => Sysctls(("kernel.shmmni", "99999")),
            "msg-max-zero" => Sysctls(("fs.mqueue.msg_max", "0")),
            "sem-semmni-above-ipcmni" => Sysctls(("kernel.sem", "1 2 3 40000")),
            _ => c =>
            {
                Sysctls(("kernel.msgmax", "1000"))(c);
                var kept = new JsonArray();
                foreach (var n in c["linux"]!["namespaces"]!.AsArray())
                    if ((string?)n!["type"] != "ipc") kept.Add((JsonNode)n.DeepClone());
                c["linux"]!["namespaces"] = kept;
            },
        };
        string key = refusedCase switch
        {
            "shmmni-above-ipcmni" => "kernel.shmmni",
            "msg-max-zero" => "fs.mqueue.msg_max",
            "sem-semmni-above-ipcmni" => "kernel.sem",
            _ => "kernel.msgmax",
        };
        // runc names the /proc/sys file of a rejected value, the key itself for a missing namespace.
        if (refusedCase != "no-ipc-namespace") key = key.Replace('.', '/');
        var reference = fixture.Runner.RunUnder(ContainerRunner.Runc, ["true"], editConfig: edit);
        Assert.NotEqual(0, reference.ExitCode);
        Assert.Contains(key, reference.Stderr, StringComparison.Ordinal);
        DifferentialAssert.FailsWithOneLine(fixture.Runner.RunUnder(ContainerRunner.Csrunsc, ["true"], editConfig: edit), reference.ExitCode, key);
    }

    /// <summary>csrunsc alone: shm_rmid_forced=1 (accepted by runc) is refused, its semantics not being built; 0 is accepted.</summary>
    [RootRequiredFact]
    public void ShmRmidForcedOnIsRefused()
    {
        var on = fixture.Runner.RunUnder(ContainerRunner.Csrunsc, ["true"], editConfig: Sysctls(("kernel.shm_rmid_forced", "1")));
        DifferentialAssert.FailsWithOneLine(on, 1, "shm_rmid_forced");
        var off = fixture.Runner.RunUnder(ContainerRunner.Csrunsc, ["cat", "/proc/sys/kernel/shm_rmid_forced"], editConfig: Sysctls(("kernel.shm_rmid_forced", "0")));
        Assert.Equal(0, off.ExitCode);
        Assert.Equal("0\n", off.Stdout);
    }
}
