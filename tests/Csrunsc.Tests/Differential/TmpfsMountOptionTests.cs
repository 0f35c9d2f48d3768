using System.Text.Json.Nodes;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// tmpfs mount options from config.json under runc and csrunsc: mode=, uid=, gid=, size= and
/// nr_inodes= honoured (ENOSPC at the limits), Linux's default mode 1777, and an unknown option
/// refused at start rather than ignored; the noexec and nodev flags of a mount enforced as Linux
/// enforces them; a filesystem type the Sentry does not implement refused at create.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class TmpfsMountOptionTests(DifferentialFixture fixture)
{
    private static Action<JsonObject> WithTmpfs(string destination, params string[] options) => config =>
        config["mounts"]!.AsArray().Add((JsonNode)new JsonObject
        {
            ["destination"] = destination, ["type"] = "tmpfs", ["source"] = "tmpfs",
            ["options"] = new JsonArray(options.Select(o => (JsonNode)o).ToArray()),
        });

    [RootRequiredFact]
    public void ModeOwnerSizeAndInodeLimitsAreHonoured()
    {
        const string script = """
            stat -c '%a %u %g' /root/t /root/d /dev/shm
            dd if=/dev/zero of=/root/t/big bs=65536 count=32 2>/dev/null; echo "dd over size: $?"; stat -c %s /root/t/big
            rm /root/t/big
            dd if=/dev/zero of=/root/t/big bs=65536 count=16 2>/dev/null; echo "dd within size: $?"; rm /root/t/big
            for i in 1 2 3 4 5; do touch /root/t/f$i 2>/dev/null || echo "touch f$i: no space"; done
            rm /root/t/f1; touch /root/t/again && echo "inode freed by unlink"
            """;
        void Edit(JsonObject config)
        {
            WithTmpfs("/root/t", "nosuid", "nodev", "mode=0710", "uid=4321", "gid=1234", "size=1m", "nr_inodes=5")(config);
            WithTmpfs("/root/d")(config);
        }
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, Edit, "sh", "-c", script);
        Assert.StartsWith("710 4321 1234\n1777 0 0\n1777 0 0\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("touch f5: no space\n", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void UnknownTmpfsOptionIsRefused()
    {
        var runc = fixture.Runner.RunUnder("runc", ["true"], editConfig: WithTmpfs("/root/t", "bogus_option=1"));
        Assert.NotEqual(0, runc.ExitCode);
        var csrunsc = fixture.Runner.RunUnder(ContainerRunner.Csrunsc, ["true"], editConfig: WithTmpfs("/root/t", "bogus_option=1"));
        DifferentialAssert.FailsWithOneLine(csrunsc, runc.ExitCode, "bogus_option");
    }

    /// <summary>
    /// noexec: execve EACCES, mmap with PROT_EXEC EPERM, mprotect adding it EACCES; nodev: a
    /// device node opens EACCES; "exec"/"dev" after them clear them (tests/progs/mount_flags.c).
    /// </summary>
    [RootRequiredFact]
    public void NoexecAndNodevAreEnforced()
    {
        void Edit(JsonObject config)
        {
            WithTmpfs("/mnt/noexec", "noexec")(config);
            WithTmpfs("/mnt/nodev", "nosuid", "nodev")(config);
            WithTmpfs("/mnt/both", "noexec", "nodev", "nosuid")(config);
            WithTmpfs("/mnt/cleared", "noexec", "nodev", "exec", "dev")(config);
            // mknod of the test node needs CAP_MKNOD, which runc's default set lacks.
            foreach (var (_, set) in config["process"]!["capabilities"]!.AsObject())
                if (!set!.AsArray().Any(c => (string?)c == "CAP_MKNOD")) set.AsArray().Add((JsonNode)"CAP_MKNOD");
        }
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, Edit,
            "/bin/mount_flags", "/mnt/noexec", "/mnt/nodev", "/mnt/both", "/mnt/cleared");
        Assert.Equal(
            "/mnt/noexec: execve EACCES, mmap(PROT_EXEC) EPERM, mprotect(+PROT_EXEC) EACCES, mknod ok, open(device node) ok\n" +
            "/mnt/nodev: execve ok, mmap(PROT_EXEC) ok, mprotect(+PROT_EXEC) ok, mknod ok, open(device node) EACCES\n" +
            "/mnt/both: execve EACCES, mmap(PROT_EXEC) EPERM, mprotect(+PROT_EXEC) EACCES, mknod ok, open(device node) EACCES\n" +
            "/mnt/cleared: execve ok, mmap(PROT_EXEC) ok, mprotect(+PROT_EXEC) ok, mknod ok, open(device node) ok\n", runc.Stdout);
    }

    [RootRequiredFact]
    public void UnsupportedFilesystemTypeIsRefused()
    {
        static void Edit(JsonObject config) => config["mounts"]!.AsArray().Add((JsonNode)new JsonObject
        {
            ["destination"] = "/data", ["type"] = "ext4", ["source"] = "/dev/nonexistent", ["options"] = new JsonArray("rw"),
        });
        var runc = fixture.Runner.RunUnder("runc", ["true"], editConfig: Edit);
        Assert.NotEqual(0, runc.ExitCode);
        var csrunsc = fixture.Runner.RunUnder(ContainerRunner.Csrunsc, ["true"], editConfig: Edit);
        DifferentialAssert.FailsWithOneLine(csrunsc, runc.ExitCode, "\"ext4\"", "/data", "not supported");
    }
}
