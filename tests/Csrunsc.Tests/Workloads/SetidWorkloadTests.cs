using System.Text.Json.Nodes;
using Csrunsc.Tests.Differential;
using Xunit;

namespace Csrunsc.Tests.Workloads;

/// <summary>
/// Debian's set-uid programs run by a user (65534) with noNewPrivileges false, under runc and
/// csrunsc: a set-uid-root copy of coreutils' id (dynamically linked: ld.so in secure mode) and
/// the host's own set-uid su (through the read-only /usr bind mount) refusing without a terminal.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class SetidWorkloadTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void SetuidRootIdAndSuAsAUser()
    {
        var idCopy = Path.Join(fixture.ScratchDir, "id-suid");
        if (!File.Exists(idCopy))
        {
            File.Copy("/usr/bin/id", idCopy);
            HostCommand.Run("chmod", "4755", idCopy);
        }
        var files = new Dictionary<string, string> { ["opt/id-suid"] = idCopy };
        var (runc, _) = WorkloadAssert.SameStdoutAndExit(fixture, ["bash", "-c", """
            /opt/id-suid
            LD_LIBRARY_PATH=/nonexistent /opt/id-suid -u
            su -c true root </dev/null 2>/dev/null; echo "su=$?"
            """], files, config =>
        {
            config["process"]!["user"] = new JsonObject { ["uid"] = 65534, ["gid"] = 65534 };
            config["process"]!["noNewPrivileges"] = false;
        });
        Assert.Contains("euid=0(root)", runc.Stdout, StringComparison.Ordinal);
    }
}
