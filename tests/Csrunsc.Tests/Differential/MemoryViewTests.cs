using System.Text.Json.Nodes;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// The guest's view of memory, as runsc gives it (runc shows the host's /proc/meminfo, so this is
/// csrunsc alone): MemTotal is the container's memory limit when one is set, MemFree falls by what
/// the sandbox's memory holds, and sysinfo (busybox free) agrees with /proc/meminfo.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class MemoryViewTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void MeminfoAndSysinfoShowTheSandboxsMemory()
    {
        const string script =
            "awk '/^MemTotal:/ {print \"total\", $2} /^MemFree:/ {print \"free\", $2}' /proc/meminfo; " +
            "free -k | awk '/^Mem:/ {print \"sysinfo\", $2}'; " +
            "dd if=/dev/zero of=/dev/shm/fill bs=1M count=48 2>/dev/null; " +
            "awk '/^MemFree:/ {print \"free\", $2} /^Shmem:/ {}' /proc/meminfo";
        var result = fixture.Runner.RunUnder(ContainerRunner.Csrunsc, ["sh", "-c", script], editConfig: c =>
            c["linux"]!["resources"] = new JsonObject { ["memory"] = new JsonObject { ["limit"] = 256L << 20 } });
        Assert.True(result.ExitCode == 0, result.ToString());
        var values = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToArray();
        Assert.Equal(["total", "262144"], values[0]);
        Assert.Equal(["sysinfo", "262144"], values[2]);
        long freeBefore = long.Parse(values[1][1], System.Globalization.CultureInfo.InvariantCulture);
        long freeAfter = long.Parse(values[3][1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(freeBefore, 1, 262144);
        Assert.True(freeBefore - freeAfter >= 46 * 1024, // 48 MiB, less what the exited dd and awk gave back
            $"MemFree fell by {freeBefore - freeAfter} kB after 48 MiB in /dev/shm:\n{result.Stdout}");
    }
}
