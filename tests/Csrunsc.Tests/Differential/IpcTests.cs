using System.Text.Json.Nodes;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// SysV IPC and POSIX message queues as Linux has them: tests/progs/sysv_shm.c, sysv_sem.c,
/// sysv_msg.c and posix_mq.c (one line per check) under runc and csrunsc, same stdout and exit
/// status; and the views of the IPC namespace (/proc/sysvipc, the kernel limits in /proc/sys,
/// /dev/mqueue) from the shell.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class IpcTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void SharedMemoryAcrossForkAttachDetachAndRemoval()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/sysv_shm");
        Assert.True(runc.Stdout.Contains("sysv_shm: ok (0 failures)", StringComparison.Ordinal), runc.Stdout);
    }

    [RootRequiredFact]
    public void SemaphoresBlockingUndoAndRemoval()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/sysv_sem");
        Assert.True(runc.Stdout.Contains("sysv_sem: ok (0 failures)", StringComparison.Ordinal), runc.Stdout);
    }

    [RootRequiredFact]
    public void MessageQueuesTypeSelectionAndLimits()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/sysv_msg");
        Assert.True(runc.Stdout.Contains("sysv_msg: ok (0 failures)", StringComparison.Ordinal), runc.Stdout);
    }

    [RootRequiredFact]
    public void PosixMessageQueuesPrioritiesNotifyAndTheMqueueMount()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/posix_mq");
        Assert.True(runc.Stdout.Contains("posix_mq: ok (0 failures)", StringComparison.Ordinal), runc.Stdout);
    }

    [RootRequiredFact]
    public void PermissionsByOwnerGroupAndMode()
    {
        // The program switches to other users itself: it needs CAP_SETUID and CAP_SETGID (not in the default set).
        static void WithSetId(JsonObject config)
        {
            var caps = config["process"]!["capabilities"]!.AsObject();
            foreach (var set in new[] { "bounding", "effective", "permitted" })
            {
                caps[set]!.AsArray().Add((JsonNode?)"CAP_SETUID");
                caps[set]!.AsArray().Add((JsonNode?)"CAP_SETGID");
            }
        }
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, WithSetId, "/bin/sysv_perm");
        Assert.True(runc.Stdout.Contains("other user: shmat read-only = Permission denied\n", StringComparison.Ordinal) &&
            runc.Stdout.Contains("sysv_perm: ok (0 failures)", StringComparison.Ordinal), runc.Stdout);
    }

    [RootRequiredTheory]
    [InlineData("7")]
    [InlineData("0x5eed")]
    public void GarbageArgumentsGetErrnos(string seed)
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/ipc_fuzz", seed, "20000");
        Assert.Contains("ipc_fuzz: ok (20000 calls)", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void IpcLimitsAndProcSysvipc()
    {
        const string script =
            "for f in shmmax shmall shmmni sem msgmax msgmnb msgmni; do echo \"$f=$(cat /proc/sys/kernel/$f)\"; done; " +
            "for f in queues_max msg_max msgsize_max msg_default msgsize_default; do echo \"$f=$(cat /proc/sys/fs/mqueue/$f)\"; done; " +
            "for f in shm sem msg; do head -1 /proc/sysvipc/$f; done; " +
            "ls -ld /dev/mqueue | cut -c1-10; grep mqueue /proc/self/mounts | cut -d' ' -f1-3";
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "sh", "-c", script);
        Assert.Contains("msgmnb=16384\n", runc.Stdout, StringComparison.Ordinal);
    }
}
