using System.Text.Json.Nodes;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// tmpfs mount options from config.json under runc and csrunsc: mode=, uid=, gid=, size= and
/// nr_inodes= honoured (ENOSPC at the limits), Linux's default mode 1777, and an unknown option
/// refused at start rather than ignored.
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
}
