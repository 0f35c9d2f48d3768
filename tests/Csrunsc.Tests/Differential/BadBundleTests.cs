using System.Text.Json.Nodes;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// Broken bundles: csrunsc must exit like runc (status 1 in all these cases, see the table in
/// src/Csrunsc/Oci/BundleLoader.cs and tests/README.md), say why on one stderr line, and leave
/// no state directory or process behind.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class BadBundleTests(DifferentialFixture fixture)
{
    public static TheoryData<string> Cases =>
    [
        "missing-bundle",
        "invalid-json",
        "missing-rootfs",
        "rootfs-symlink-to-host-root",
        "args0-not-found",
        "args0-not-executable",
        "args0-not-elf",
    ];

    [RootRequiredTheory]
    [MemberData(nameof(Cases))]
    public void FailsLikeRunc(string brokenCase)
    {
        var reference = Run(ContainerRunner.Runc, brokenCase);
        Assert.False(reference.TimedOut, $"runc timed out:\n{reference}");
        Assert.NotEqual(0, reference.ExitCode);
        Assert.Empty(reference.LeftBehind);

        var actual = Run(ContainerRunner.Csrunsc, brokenCase);
        DifferentialAssert.FailsWithOneLine(actual, reference.ExitCode, CauseWords(brokenCase));
    }

    private RunResult Run(string runtime, string brokenCase)
    {
        var runner = fixture.Runner;
        var id = runner.NewContainerId(runtime);
        var bundle = brokenCase switch
        {
            "missing-bundle" => Path.Join(fixture.ScratchDir, "bundles", id, "no-such-bundle"),
            "invalid-json" => Break(runner.CreateBundle(id, ["true"]), b => File.WriteAllText(Path.Join(b, "config.json"), "{\"process\": {")),
            "missing-rootfs" => Break(runner.CreateBundle(id, ["true"]), b => Directory.Delete(Path.Join(b, "rootfs"), recursive: true)),
            // Served, it would be the host's root: runc refuses any symlinked rootfs.
            "rootfs-symlink-to-host-root" => Break(runner.CreateBundle(id, ["true"]), b =>
            {
                Directory.Delete(Path.Join(b, "rootfs"), recursive: true);
                File.CreateSymbolicLink(Path.Join(b, "rootfs"), "/");
            }),
            "args0-not-found" => runner.CreateBundle(id, ["/nonexistent-binary"]),
            "args0-not-executable" => Break(
                runner.CreateBundle(id, ["/bin/data.txt"]),
                b => File.WriteAllText(Path.Join(b, "rootfs", "bin", "data.txt"), "plain data\n")),
            "args0-not-elf" => Break(
                runner.CreateBundle(id, ["/bin/not-elf"]),
                b =>
                {
                    var path = Path.Join(b, "rootfs", "bin", "not-elf");
                    File.WriteAllText(path, "just text, no #! line\n");
                    File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
                }),
            _ => throw new ArgumentOutOfRangeException(nameof(brokenCase), brokenCase, null),
        };
        return runner.RunBundle(runtime, bundle, id);
    }

    private static string[] CauseWords(string brokenCase) => brokenCase switch
    {
        "missing-bundle" => ["no-such-bundle"],
        "invalid-json" => ["json"],
        "missing-rootfs" => ["rootfs"],
        "rootfs-symlink-to-host-root" => ["invalid rootfs", "symlink"],
        "args0-not-found" => ["/nonexistent-binary"],
        "args0-not-executable" => ["permission denied"],
        "args0-not-elf" => ["exec format error"],
        _ => throw new ArgumentOutOfRangeException(nameof(brokenCase), brokenCase, null),
    };

    private static string Break(string bundle, Action<string> breakIt)
    {
        breakIt(bundle);
        return bundle;
    }
}
