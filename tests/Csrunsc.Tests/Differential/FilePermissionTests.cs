using System.Text.Json.Nodes;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// DAC for an unprivileged user: tests/progs/perms.c (search permission on every path
/// component, set-id bits removed on write and truncate) under runc and csrunsc.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class FilePermissionTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void SearchPermissionOnEveryComponentAndSetIdRemovalOnWrite()
    {
        // Root needs what runc's default set lacks: to drop to the user, and to show that
        // CAP_FSETID keeps set-id bits and CAP_DAC_OVERRIDE searches any directory.
        static void WithCapabilities(JsonObject config)
        {
            JsonArray Caps() => new("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN", "CAP_DAC_OVERRIDE",
                "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_SETUID", "CAP_SETGID");
            var caps = config["process"]!["capabilities"]!.AsObject();
            foreach (var set in new[] { "bounding", "effective", "permitted" }) caps[set] = Caps();
        }
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, WithCapabilities, "/bin/perms");
        Assert.Contains("perms: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }
}
