using System.Text.Json.Nodes;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// Extended attributes on tmpfs (/dev/shm): tests/progs/xattr.c as root with runc's default
/// capabilities (no CAP_SYS_ADMIN: trusted.* hidden and refused, security.* refused) and as uid
/// 65534 (permission checks, sticky directories), under runc and csrunsc.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class XattrTests(DifferentialFixture fixture)
{
    /// <summary>runc's default set plus CAP_SETUID/CAP_SETGID, so that the program can become uid 65534 after its setup as root.</summary>
    private static void WithSetid(JsonObject config)
    {
        var caps = (JsonObject)config["process"]!["capabilities"]!;
        foreach (var set in new[] { "bounding", "effective", "permitted" })
        {
            var list = (JsonArray)caps[set]!;
            foreach (var c in new[] { "CAP_SETUID", "CAP_SETGID" }) list.Add((JsonNode)JsonValue.Create(c)!);
        }
    }

    [RootRequiredFact]
    public void UserXattrsOnTmpfsAsLinux()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/xattr", "/dev/shm");
        Assert.Contains("list: 25 [user.empty user.b user.a]", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void XattrPermissionsAsLinux()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, WithSetid, "/bin/xattr", "/dev/shm", "user");
        Assert.Contains("get on a 0600 file of root: -1 Permission denied", runc.Stdout, StringComparison.Ordinal);
    }
}
