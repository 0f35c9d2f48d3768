using System.Text.Json.Nodes;
using Csrunsc.Tests.Integration;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// linux.devices (nodes made in the container's /dev) and linux.resources.devices (the devices
/// controller: which nodes may be opened for reading or writing) as runc applies them, on the same
/// bundle under runc and csrunsc. Devices the Sentry has no driver for open with ENXIO under
/// csrunsc where runc reaches the host's driver, so the differential part only opens devices the
/// Sentry implements or the rules deny.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class DeviceConfigTests(DifferentialFixture fixture)
{
    private static JsonObject Node(string path, string type, int major, int minor, int? mode = null, int? uid = null, int? gid = null)
    {
        var node = new JsonObject { ["path"] = path, ["type"] = type, ["major"] = major, ["minor"] = minor };
        if (mode is { } m) node["fileMode"] = m;
        if (uid is { } u) node["uid"] = u;
        if (gid is { } g) node["gid"] = g;
        return node;
    }

    private static JsonObject Rule(bool allow, string? type = null, int? major = null, int? minor = null, string? access = null)
    {
        var rule = new JsonObject { ["allow"] = allow };
        if (type is not null) rule["type"] = type;
        if (major is { } ma) rule["major"] = ma;
        if (minor is { } mi) rule["minor"] = mi;
        if (access is not null) rule["access"] = access;
        return rule;
    }

    /// <summary>
    /// The nodes appear with their type, numbers, mode and owner (parents made, default mode 0666);
    /// a fifo works; under deny-all, a device allowed only for writing is refused for reading and a
    /// block device allowed only for reading is refused for writing (EPERM); runc's default devices
    /// stay usable even when a rule denies them (runc appends its allowed list); a path made at a
    /// default device's number behaves as that device.
    /// </summary>
    [RootRequiredFact]
    public void NodesAndRulesAsRuncAppliesThem()
    {
        static void Edit(JsonObject c)
        {
            c["linux"]!["devices"] = new JsonArray(
                Node("/dev/fuse", "c", 10, 229, mode: 0x1A0 /*0640*/),
                Node("/dev/loop9", "b", 7, 9, mode: 0x180 /*0600*/, uid: 0, gid: 6),
                Node("/dev/sub/null2", "c", 1, 3),
                Node("/dev/zero2", "c", 1, 5, mode: 0x124 /*0444*/, uid: 1000, gid: 1000),
                Node("/dev/fifo", "p", 0, 0, mode: 0x1B6));
            c["linux"]!["resources"] = new JsonObject
            {
                ["devices"] = new JsonArray(
                    Rule(false, access: "rwm"),
                    Rule(false, "c", 1, 3, "rwm"),
                    Rule(true, "c", 10, 229, "w"),
                    Rule(true, "b", 7, null, "r"),
                    Rule(false, "c", 1, 5, "r")),
            };
        }
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, Edit, "sh", "-c",
            "for d in /dev/fuse /dev/loop9 /dev/sub/null2 /dev/zero2 /dev/fifo; do stat -c '%n %F %t:%T %a %u:%g' $d; done; " +
            "echo hi > /dev/null && echo null ok; echo hi > /dev/sub/null2 && echo null2 ok; head -c 3 /dev/zero2 | wc -c; " +
            "cat /dev/fuse 2>&1 | grep -c 'not permitted'; (echo x > /dev/loop9) 2>&1 | grep -c 'not permitted'; " +
            "(echo through > /dev/fifo &) ; cat /dev/fifo");
        Assert.Equal(
            "/dev/fuse character special file a:e5 640 0:0\n/dev/loop9 block special file 7:9 600 0:6\n" +
            "/dev/sub/null2 character special file 1:3 666 0:0\n/dev/zero2 character special file 1:5 444 1000:1000\n/dev/fifo fifo 0:0 666 0:0\n" +
            "null ok\nnull2 ok\n3\n1\n1\nthrough\n", runc.Stdout);
    }

    /// <summary>
    /// csrunsc alone: a device the rules allow but the Sentry has no driver for opens with ENXIO
    /// (never the host's device), and one the rules deny with EPERM, checked before the driver.
    /// </summary>
    [RootRequiredFact]
    public void AllowedDeviceWithoutDriverIsNoSuchDevice()
    {
        var result = fixture.Runner.RunUnder(ContainerRunner.Csrunsc,
            ["sh", "-c", "(echo x > /dev/fuse) 2>&1 | sed 's/.*: //'; (cat /dev/fuse) 2>&1 | sed 's/.*: //'"],
            editConfig: c =>
            {
                c["linux"]!["devices"] = new JsonArray(Node("/dev/fuse", "c", 10, 229));
                c["linux"]!["resources"] = new JsonObject { ["devices"] = new JsonArray(Rule(false, access: "rwm"), Rule(true, "c", 10, 229, "w")) };
            });
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("No such device or address\nOperation not permitted\n", result.Stdout);
    }

    public static TheoryData<string> RefusedCases => ["device-type", "rule-type"];

    /// <summary>An invalid device type or rule type fails create with runc's exit status and cause; a node outside /dev is refused (csrunsc's limit).</summary>
    [RootRequiredTheory]
    [MemberData(nameof(RefusedCases))]
    public void InvalidEntriesRefusedLikeRunc(string refusedCase)
    {
        Action<JsonObject> edit = refusedCase == "device-type"
            ? c => c["linux"]!["devices"] = new JsonArray(Node("/dev/foo", "x", 1, 3))
            : c => c["linux"]!["resources"] = new JsonObject { ["devices"] = new JsonArray(Rule(true, "z", access: "r")) };
        // runc's log line escapes the quotes (msg="... \"x\""), so match the words and the opening quote.
        string[] words = refusedCase == "device-type" ? ["invalid device type", "\"x"] : ["invalid cgroup device type", "\"z"];
        var runner = fixture.Runner;
        var reference = runner.RunUnder(ContainerRunner.Runc, ["true"], editConfig: edit);
        Assert.NotEqual(0, reference.ExitCode);
        Assert.All(words, w => Assert.Contains(w, reference.Stderr, StringComparison.Ordinal));
        DifferentialAssert.FailsWithOneLine(runner.RunUnder(ContainerRunner.Csrunsc, ["true"], editConfig: edit), reference.ExitCode, words);
    }

    [RootRequiredFact]
    public void NodeOutsideDevIsRefused()
    {
        var result = fixture.Runner.RunUnder(ContainerRunner.Csrunsc, ["true"],
            editConfig: c => c["linux"]!["devices"] = new JsonArray(Node("/opt/null", "c", 1, 3)));
        DifferentialAssert.FailsWithOneLine(result, 1, "only under /dev");
    }
}
