using System.Text.Json.Nodes;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// process.capabilities enforced like runc: /proc/self/status's Cap lines, capget/capset/prctl and
/// the privileged operations (tests/progs/caps.c derives each expected result from the sets it
/// reads) under runc's default set, an empty set, no capabilities key, every capability the host
/// allows, and a non-root user with inheritable and ambient capabilities.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class CapabilityTests(DifferentialFixture fixture)
{
    private static readonly string[] AllNames =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
        "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ];

    /// <summary>The capabilities in this (root) test process's bounding set: runc cannot grant others.</summary>
    private static string[] HostNames()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("CapBnd:", StringComparison.Ordinal));
        ulong mask = Convert.ToUInt64(line[7..].Trim(), 16);
        return AllNames.Where((_, i) => (mask & (1UL << i)) != 0).ToArray();
    }

    private static JsonArray Names(params string[] names) => new(names.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray());

    public static TheoryData<string> Configs => ["default", "empty", "absent", "all", "user-ambient", "root-ambient", "all-privs"];

    private static void Apply(JsonObject config, string which)
    {
        var process = config["process"]!.AsObject();
        switch (which)
        {
            case "default":
                break;
            case "empty":
                process["capabilities"] = new JsonObject();
                break;
            case "absent":
                process.Remove("capabilities");
                break;
            case "all":
            case "all-privs":
            {
                var all = HostNames();
                process["capabilities"] = new JsonObject
                {
                    ["bounding"] = Names(all), ["effective"] = Names(all), ["permitted"] = Names(all),
                    ["inheritable"] = Names(all), ["ambient"] = Names(all),
                };
                // no_new_privs off: execve may then give root its whole bounding set back.
                if (which == "all-privs") process["noNewPrivileges"] = false;
                break;
            }
            case "user-ambient":
            case "root-ambient":
                process["capabilities"] = new JsonObject
                {
                    ["bounding"] = Names("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN", "CAP_SETUID"),
                    ["effective"] = Names("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
                    ["permitted"] = Names("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID"),
                    ["inheritable"] = Names("CAP_KILL", "CAP_SETUID"),
                    ["ambient"] = Names("CAP_KILL", "CAP_CHOWN"),
                };
                if (which == "user-ambient") process["user"] = new JsonObject { ["uid"] = 1000, ["gid"] = 1000 };
                else process["noNewPrivileges"] = false;
                break;
        }
    }

    [RootRequiredTheory]
    [MemberData(nameof(Configs))]
    public void ProcStatusCapLinesAreRuncs(string which)
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, c => Apply(c, which), "grep", "-E", "^(Cap|NoNewPrivs)", "/proc/self/status");
        Assert.Contains("CapBnd:", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredTheory]
    [MemberData(nameof(Configs))]
    public void CapabilityCallsAndPrivilegedOperations(string which)
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, c => Apply(c, which), "/bin/caps");
        Assert.Contains("caps: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void WithoutCapabilitiesRootCannotChownMknodChrootOrSetTheHostname()
    {
        static void Empty(JsonObject c) => c["process"]!["capabilities"] = new JsonObject();
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, Empty, "sh", "-c",
            "touch /tmp/f; chown 1:1 /tmp/f 2>/dev/null; echo chown $?; mknod /dev/x c 1 3 2>/dev/null; echo mknod $?; " +
            "chroot / true 2>/dev/null; echo chroot $?; hostname other 2>/dev/null; echo hostname $?; " +
            "ulimit -H -n 4096 2>/dev/null; echo ulimit $?; chmod 0 /tmp/f; cat /tmp/f 2>/dev/null; echo cat $?");
        Assert.Equal("chown 1\nmknod 1\nchroot 1\nhostname 1\nulimit 1\ncat 1\n", runc.Stdout);
    }

    [RootRequiredFact]
    public void InheritableOutsideTheBoundingSetFailsLikeRunc()
    {
        static void Bad(JsonObject c) => c["process"]!["capabilities"] = new JsonObject
        {
            ["bounding"] = Names("CAP_KILL"), ["inheritable"] = Names("CAP_CHOWN"),
        };
        var runc = fixture.Runner.RunUnder(ContainerRunner.Runc, ["true"], editConfig: Bad);
        var csrunsc = fixture.Runner.RunUnder(ContainerRunner.Csrunsc, ["true"], editConfig: Bad);
        Assert.Equal(runc.ExitCode, csrunsc.ExitCode);
        Assert.Contains("unable to apply caps: operation not permitted", runc.Stderr, StringComparison.Ordinal);
        DifferentialAssert.FailsWithOneLine(csrunsc, runc.ExitCode, "unable to apply caps: operation not permitted");
    }
}
