using System.Text.Json.Nodes;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// linux.maskedPaths and linux.readonlyPaths as runc applies them: masked files read as empty
/// and swallow writes (runc binds /dev/null over them), masked directories are empty read-only
/// tmpfs, read-only paths answer EROFS to writes and still read; missing paths are skipped.
/// Both the default spec's /proc and /sys lists and paths in the rootfs.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class MaskedPathTests(DifferentialFixture fixture)
{
    private const string Probe =
        "for p in $PATHS; do echo \"== $p\"; stat -c '%F %a %s' $p 2>&1; cat $p 2>&1 | wc -c; ls -A $p 2>&1 | head -3; " +
        "echo x 2>&1 > $p; echo \"write $?\"; touch $p/new 2>&1; echo \"touch $?\"; done";

    [RootRequiredFact]
    public void DefaultSpecMasksProcAndSysAndMakesProcSysReadOnly()
    {
        string paths = "/proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/acpi /proc/scsi /sys/firmware " +
            "/proc/asound /proc/latency_stats /proc/timer_stats";
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "sh", "-c",
            $"PATHS='{paths}'; {Probe}; echo 1 2>&1 > /proc/sys/kernel/hostname; echo \"sysctl write $?\"; " +
            "touch /proc/sys/x 2>&1; echo \"touch $?\"; cat /proc/sys/kernel/ostype");
        Assert.Contains("sysctl write 1\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("Linux\n", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void MaskedAndReadOnlyPathsInTheRootfs()
    {
        static void Edit(JsonObject c)
        {
            var linux = c["linux"]!.AsObject();
            linux["maskedPaths"] = new JsonArray("/etc/hostname", "/root", "/does/not/exist", "/etc/group");
            linux["readonlyPaths"] = new JsonArray("/etc", "/missing");
        }
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, Edit, "sh", "-c",
            $"PATHS='/etc/hostname /root /etc/group'; {Probe}; touch /etc/x 2>&1; echo \"etc touch $?\"; " +
            "head -1 /etc/passwd; rm /etc/passwd 2>&1; echo \"rm $?\"; mkdir /etc/d 2>&1; echo \"mkdir $?\"; " +
            "ls /does 2>&1; touch /tmp/ok; echo \"tmp $?\"");
        Assert.Contains("etc touch 1\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("tmp 0\n", runc.Stdout, StringComparison.Ordinal);
    }
}
