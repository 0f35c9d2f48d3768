using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// tests/progs/escape.c under csrunsc: every way out it tries is contained, judged on the host
/// side too — a secret token next to the rootfs and next to a bind mount's source never appears
/// in the output, host files keep their hashes, and a host canary process lives through
/// kill(-1), kill and ptrace of its pid. Every case is listed (the test's output prints them).
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class EscapeTests(DifferentialFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly string[] Cases =
    [
        "dotdot", "bind-dotdot", "symlinks", "rename-race", "hardlinks", "proc-root", "proc-self-exe", "fd-scan",
        "block-device", "mount", "chroot-pivot_root", "ptrace-host", "kill", "process_vm", "raw-packet-netlink",
        "bpf", "io_uring", "userfaultfd", "keyctl", "perf_event_open", "iopl", "ioperm", "modify_ldt",
        "unshare-setns", "int80", "proc-sys-writes",
    ];

    [RootRequiredFact]
    public void EveryEscapeAttemptIsContained()
    {
        var runner = fixture.Runner;
        string token = "csrunsc-secret-" + Guid.NewGuid().ToString("N");
        using var canary = Process.Start(new ProcessStartInfo("sleep", "600") { UseShellExecute = false })!;
        try
        {
            var id = runner.NewContainerId(ContainerRunner.Csrunsc);
            var bundle = runner.CreateBundle(id, ["/bin/escape", "secret-token", canary.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            // The secret beside the rootfs, and beside (above) the bind mount's source.
            string bindSource = Path.Join(bundle, "bindsrc", "inner");
            Directory.CreateDirectory(bindSource);
            Directory.CreateDirectory(Path.Join(bundle, "rootfs", "mnt", "b"));
            File.WriteAllText(Path.Join(bundle, "secret-token"), token + "\n");
            File.WriteAllText(Path.Join(bundle, "bindsrc", "secret-token"), token + "\n");
            var configPath = Path.Join(bundle, "config.json");
            var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
            JsonNode mount = new JsonObject
            {
                ["destination"] = "/mnt/b", ["type"] = "bind", ["source"] = bindSource,
                ["options"] = new JsonArray("rbind", "rw"),
            };
            config["mounts"]!.AsArray().Add(mount);
            File.WriteAllText(configPath, config.ToJsonString());

            string[] watched = ["/etc/passwd", "/etc/hostname", "/proc/sys/kernel/hostname", "/proc/sys/kernel/core_pattern",
                configPath, Path.Join(bundle, "secret-token"), Path.Join(bundle, "bindsrc", "secret-token")];
            var before = watched.ToDictionary(p => p, Hash);

            var result = runner.RunBundle(ContainerRunner.Csrunsc, bundle, id, TimeSpan.FromMinutes(3));
            output.WriteLine(result.Stdout);

            Assert.False(result.TimedOut, result.ToString());
            Assert.DoesNotContain(token, result.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain(token, result.Stderr, StringComparison.Ordinal);
            foreach (var name in Cases) Assert.Contains($"\n{name}: contained (", "\n" + result.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("ESCAPED", result.Stdout, StringComparison.Ordinal);
            Assert.EndsWith("escape: 0 escaped\n", result.Stdout, StringComparison.Ordinal);
            Assert.Equal(0, result.ExitCode);
            foreach (var p in watched) Assert.True(before[p] == Hash(p), $"{p} changed on the host");
            Assert.False(canary.HasExited, "the host canary process was killed");
            Assert.Empty(result.LeftBehind);
        }
        finally
        {
            if (!canary.HasExited) canary.Kill();
            canary.WaitForExit();
        }
    }

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
}
