using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>Attributes of rootfs (gofer) files stay right after they are written, truncated or grown through an fd.</summary>
[Collection(DifferentialCollection.Name)]
public sealed class FileCoherenceTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void StatByPathSeesWritesThroughClosedFds()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "sh", "-c",
            "echo served > /f; stat -c %s /f; echo more >> /f; stat -c %s /f; " +
            "dd if=/dev/zero of=/g bs=65536 count=48 2>/dev/null; stat -c %s /g; ls -l /g | awk '{print $5}'; " +
            "truncate -s 100 /g; stat -c %s /g; truncate -s 5000000 /g; stat -c %s /g; " +
            "exec 3>/h; echo abc >&3; stat -c %s /h; exec 3>&-; stat -c %s /h; wc -c < /f");
        Assert.Equal("7\n12\n3145728\n3145728\n100\n5000000\n4\n4\n12\n", runc.Stdout);
    }

    [RootRequiredFact]
    public void RacingCreatesOfOneFileOpenOneSharedFile()
    {
        // Two processes open(O_CREAT) one new rootfs file at once, then map it MAP_SHARED (how two
        // SQLite connections meet in a -shm file): no EEXIST, and each sees the other's writes; the
        // same for a mapped file whose directory then outgrows the Sentry's child cache.
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/create_race", "/");
        Assert.Equal("create_race: 200 rounds, failed opens 0, incoherent mappings 0\ncreate_race: mapping shared past a full directory cache: yes\n", runc.Stdout);
    }
}
