using System.Text.Json.Nodes;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// config.json's mounts under runc and csrunsc: root.readonly, read-write and read-only bind mounts
/// (served by the gofer), and the Sentry's own proc, /dev, /dev/pts, /dev/shm, sysfs and hostname.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class MountTests(DifferentialFixture fixture)
{
    private const string Script =
        "touch /rootfile 2>/dev/null && echo root-writable || echo root-readonly; " +
        "echo data > /data/out && cat /data/out; " +
        "cat /ro/in; echo nope > /ro/in 2>/dev/null && echo ro-writable || echo ro-denied; " +
        "mkdir /data/sub && echo nested > /data/sub/f && ls /data; " +
        "ls /proc/self/fd >/dev/null && echo proc; " +
        "echo x > /dev/null && head -c 4 /dev/zero | wc -c; " +
        "ls -d /dev/pts /dev/shm; echo shm > /dev/shm/s && cat /dev/shm/s; " +
        "cat /sys/devices/system/cpu/online >/dev/null && echo sys; " +
        "echo tmp > /tmp/t 2>/dev/null || echo tmp-on-readonly-root; " +
        "hostname";

    private (RunResult Result, string HostDir) Run(string runtime)
    {
        string dir = Directory.CreateTempSubdirectory("csrunsc-mounts-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "rw"));
        Directory.CreateDirectory(Path.Combine(dir, "ro"));
        File.WriteAllText(Path.Combine(dir, "ro", "in"), "from-host\n");
        var result = fixture.Runner.RunUnder(runtime, ["sh", "-c", Script], editConfig: config =>
        {
            config["root"]!["readonly"] = true;
            config["hostname"] = "mounts-test";
            var mounts = config["mounts"]!.AsArray();
            mounts.Add((JsonNode)new JsonObject
            {
                ["destination"] = "/data", ["type"] = "bind", ["source"] = Path.Combine(dir, "rw"),
                ["options"] = new JsonArray("rbind", "rw"),
            });
            mounts.Add((JsonNode)new JsonObject
            {
                ["destination"] = "/ro", ["type"] = "bind", ["source"] = Path.Combine(dir, "ro"),
                ["options"] = new JsonArray("rbind", "ro"),
            });
        });
        return (result, dir);
    }

    [RootRequiredFact]
    public void ReadonlyRootBindMountsAndSentryFilesystems()
    {
        var (runc, runcDir) = Run("runc");
        var (csrunsc, csrunscDir) = Run(ContainerRunner.Csrunsc);
        try
        {
            Assert.True(runc.ExitCode == 0, $"runc:\n{runc}");
            Assert.Contains("root-readonly\n", runc.Stdout, StringComparison.Ordinal);
            Assert.Contains("ro-denied\n", runc.Stdout, StringComparison.Ordinal);
            Assert.Equal(runc.Stdout, csrunsc.Stdout);
            Assert.Equal(runc.ExitCode, csrunsc.ExitCode);
            // Writes through the read-write bind mount reach the host, through the gofer.
            Assert.Equal("data\n", File.ReadAllText(Path.Combine(csrunscDir, "rw", "out")));
            Assert.Equal("nested\n", File.ReadAllText(Path.Combine(csrunscDir, "rw", "sub", "f")));
            Assert.Equal("from-host\n", File.ReadAllText(Path.Combine(csrunscDir, "ro", "in")));
        }
        finally
        {
            Directory.Delete(runcDir, true);
            Directory.Delete(csrunscDir, true);
        }
    }

    /// <summary>
    /// A mount whose destination (and parents) do not exist in the rootfs: runc makes the
    /// directories; csrunsc makes them in a writable rootfs and shows the same tree over a
    /// read-only one, the mount reachable in both.
    /// </summary>
    [RootRequiredTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void MissingMountPointsAreMade(bool readOnlyRoot)
    {
        void Edit(JsonObject config)
        {
            config["root"]!["readonly"] = readOnlyRoot;
            config["mounts"]!.AsArray().Add((JsonNode)new JsonObject
            {
                ["destination"] = "/made/deeper/t", ["type"] = "tmpfs", ["source"] = "tmpfs", ["options"] = new JsonArray("mode=0700"),
            });
        }
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, Edit, "sh", "-c",
            "ls /made; ls /made/deeper; stat -c '%a %F' /made /made/deeper /made/deeper/t; echo x > /made/deeper/t/f && cat /made/deeper/t/f; " +
            "mkdir /made/new 2>/dev/null && echo made-writable || echo made-readonly");
        Assert.StartsWith("deeper\nt\n755 directory\n755 directory\n700 directory\nx\n", runc.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// /proc/self/mountinfo rows of bind mounts: the root field is the source's path inside its host
    /// filesystem (one temp directory for both runtimes, so the rows agree), and neither bind nor
    /// rbind is ever shown as an option; /proc/sys (a read-only path) is a bind of proc's /sys.
    /// </summary>
    [RootRequiredFact]
    public void MountinfoRowsOfBindMounts()
    {
        string dir = Directory.CreateTempSubdirectory("csrunsc-mountinfo-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "src", "sub"));
        try
        {
            const string script =
                "awk '$5==\"/data\" || $5==\"/sub\" || $5==\"/proc/sys\" {print $5, $4}' /proc/self/mountinfo; " +
                "grep -c -w -e bind -e rbind /proc/self/mountinfo";
            var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, config =>
            {
                var mounts = config["mounts"]!.AsArray();
                mounts.Add((JsonNode)new JsonObject
                {
                    ["destination"] = "/data", ["type"] = "bind", ["source"] = Path.Combine(dir, "src"),
                    ["options"] = new JsonArray("rbind", "rw"),
                });
                mounts.Add((JsonNode)new JsonObject
                {
                    ["destination"] = "/sub", ["type"] = "bind", ["source"] = Path.Combine(dir, "src", "sub"),
                    ["options"] = new JsonArray("bind", "ro"),
                });
            }, "sh", "-c", script);
            Assert.Contains("/data ", runc.Stdout, StringComparison.Ordinal);
            Assert.Contains("/proc/sys /sys\n", runc.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
