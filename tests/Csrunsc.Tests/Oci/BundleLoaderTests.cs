using Csrunsc.Oci;
using Xunit;

namespace Csrunsc.Tests.Oci;

/// <summary>
/// BundleLoader against hand-made bundles (no root needed): exit status 1 and a one-line
/// message naming the cause, worded like runc 1.1.5 (see the table in BundleLoader.cs).
/// </summary>
public sealed class BundleLoaderTests : IDisposable
{
    private const string ValidConfig = """
        {"ociVersion":"1.0.2-dev","process":{"args":["/bin/prog"],"cwd":"/","env":["PATH=/usr/bin:/bin"]},
         "root":{"path":"rootfs"}}
        """;

    private static readonly byte[] FakeElf = [0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0];

    private readonly string _bundle;

    public BundleLoaderTests()
    {
        _bundle = Directory.CreateTempSubdirectory("csrunsc-bundle-").FullName;
        Directory.CreateDirectory(Path.Join(_bundle, "rootfs", "bin"));
        WriteExecutable("bin/prog", FakeElf);
        WriteConfig(ValidConfig);
    }

    public void Dispose() => Directory.Delete(_bundle, recursive: true);

    [Fact]
    public void ValidBundleLoads()
    {
        Assert.Equal(0, BundleLoader.Load(_bundle, out var spec, out var rootfs, out var error));
        Assert.Equal("", error);
        Assert.Equal(Path.Join(_bundle, "rootfs"), rootfs);
        Assert.Equal("/bin/prog", spec!.Process!.Args![0]);
    }

    [Fact]
    public void MissingBundle() =>
        AssertFails(Path.Join(_bundle, "nope"), $"bundle {_bundle}/nope: no such file or directory");

    [Fact]
    public void MissingConfig()
    {
        File.Delete(Path.Join(_bundle, "config.json"));
        AssertFails(_bundle, $"JSON specification file {_bundle}/config.json not found");
    }

    [Theory]
    [InlineData("", "the file is empty")]
    [InlineData("{\"process\": {", "syntax error (line 1, column 14)")]
    [InlineData("{ bad json }", "syntax error (line 1, column 3)")]
    [InlineData("{\"process\": 5}", "value of the wrong type (line 1, column 14, at $.process)")]
    [InlineData("null", "the document is null")]
    public void InvalidJson(string text, string expectedDetail)
    {
        WriteConfig(text);
        var error = AssertFails(_bundle, $"invalid JSON in {_bundle}/config.json");
        Assert.Contains(expectedDetail, error);
    }

    [Theory]
    [InlineData("""{"root":{"path":"rootfs"}}""", "process property must not be empty")]
    [InlineData("""{"process":{"args":[],"cwd":"/"},"root":{"path":"rootfs"}}""", "args must not be empty")]
    [InlineData("""{"process":{"args":["x"],"cwd":""},"root":{"path":"rootfs"}}""", "Cwd property must not be empty")]
    [InlineData("""{"process":{"args":["x"],"cwd":"rel"},"root":{"path":"rootfs"}}""", "Cwd must be an absolute path")]
    [InlineData("""{"process":{"args":["x"],"cwd":"/"}}""", "root must be specified")]
    public void InvalidSpec(string config, string expected)
    {
        WriteConfig(config);
        AssertFails(_bundle, expected);
    }

    [Fact]
    public void MissingRootfs()
    {
        Directory.Delete(Path.Join(_bundle, "rootfs"), recursive: true);
        AssertFails(_bundle, $"invalid rootfs: stat {_bundle}/rootfs: no such file or directory");
    }

    [Fact]
    public void RootfsIsAFile()
    {
        Directory.Delete(Path.Join(_bundle, "rootfs"), recursive: true);
        File.WriteAllText(Path.Join(_bundle, "rootfs"), "");
        AssertFails(_bundle, $"invalid rootfs: {_bundle}/rootfs is not a directory");
    }

    [Fact]
    public void Args0NotFound()
    {
        WriteConfigWithArgs0("/nonexistent-binary");
        AssertFails(_bundle, "unable to start container process: exec: \"/nonexistent-binary\": stat /nonexistent-binary: no such file or directory");
    }

    [Fact]
    public void Args0NotInPath()
    {
        WriteConfigWithArgs0("nonexistentcmd");
        AssertFails(_bundle, "unable to start container process: exec: \"nonexistentcmd\": executable file not found in $PATH");
    }

    [Fact]
    public void Args0FoundThroughPath()
    {
        WriteConfigWithArgs0("prog");
        Assert.Equal(0, BundleLoader.Load(_bundle, out _, out _, out var error));
        Assert.Equal("", error);
    }

    [Fact]
    public void Args0NotExecutable()
    {
        File.WriteAllBytes(Path.Join(_bundle, "rootfs", "bin", "data.txt"), FakeElf);
        WriteConfigWithArgs0("/bin/data.txt");
        AssertFails(_bundle, "unable to start container process: exec: \"/bin/data.txt\": permission denied");
    }

    [Fact]
    public void Args0IsADirectory()
    {
        WriteConfigWithArgs0("/bin");
        AssertFails(_bundle, "unable to start container process: exec: \"/bin\": permission denied");
    }

    [Fact]
    public void Args0NotElfAndNoShebang()
    {
        WriteExecutable("bin/script", "just text\n"u8.ToArray());
        WriteConfigWithArgs0("/bin/script");
        AssertFails(_bundle, "unable to start container process: exec /bin/script: exec format error");
    }

    [Fact]
    public void ShebangWithMissingInterpreter()
    {
        WriteExecutable("bin/script", "#!/bin/nothere -x\necho\n"u8.ToArray());
        WriteConfigWithArgs0("/bin/script");
        AssertFails(_bundle, "unable to start container process: exec /bin/script: interpreter /bin/nothere: no such file or directory");
    }

    [Fact]
    public void ShebangWithPresentInterpreter()
    {
        WriteExecutable("bin/script", "#!/bin/prog\necho\n"u8.ToArray());
        WriteConfigWithArgs0("/bin/script");
        Assert.Equal(0, BundleLoader.Load(_bundle, out _, out _, out var error));
        Assert.Equal("", error);
    }

    [Fact]
    public void AbsoluteSymlinksResolveInsideTheRootfs()
    {
        // /bin/sh -> /bin/prog must mean <rootfs>/bin/prog, never the host's /bin/prog.
        File.CreateSymbolicLink(Path.Join(_bundle, "rootfs", "bin", "sh"), "/bin/prog");
        File.CreateSymbolicLink(Path.Join(_bundle, "rootfs", "bin", "escape"), "../../../../../../bin/prog");
        WriteConfigWithArgs0("/bin/sh");
        Assert.Equal(0, BundleLoader.Load(_bundle, out _, out _, out var error));
        Assert.Equal("", error);
        WriteConfigWithArgs0("/bin/escape");
        Assert.Equal(0, BundleLoader.Load(_bundle, out _, out _, out error));

        File.CreateSymbolicLink(Path.Join(_bundle, "rootfs", "bin", "hostsh"), "/usr/bin/env");
        WriteConfigWithArgs0("/bin/hostsh");
        AssertFails(_bundle, "no such file or directory");
    }

    [Fact]
    public void SymlinkLoopIsReported()
    {
        File.CreateSymbolicLink(Path.Join(_bundle, "rootfs", "bin", "a"), "b");
        File.CreateSymbolicLink(Path.Join(_bundle, "rootfs", "bin", "b"), "a");
        WriteConfigWithArgs0("/bin/a");
        AssertFails(_bundle, "too many levels of symbolic links");
    }

    [Fact]
    public void Args0UnderABindMountIsLeftToTheSentry()
    {
        WriteConfig("""
            {"process":{"args":["/opt/tool/run"],"cwd":"/"},"root":{"path":"rootfs"},
             "mounts":[{"destination":"/opt/tool","type":"bind","source":"/somewhere","options":["rbind"]}]}
            """);
        Assert.Equal(0, BundleLoader.Load(_bundle, out _, out _, out var error));
        Assert.Equal("", error);
    }

    private static string AssertFails(string bundle, string expectedMessagePart)
    {
        Assert.Equal(BundleLoader.ExitFailure, BundleLoader.Load(bundle, out _, out _, out var error));
        Assert.Contains(expectedMessagePart, error);
        Assert.DoesNotContain('\n', error);
        return error;
    }

    private void WriteConfig(string text) => File.WriteAllText(Path.Join(_bundle, "config.json"), text);

    private void WriteConfigWithArgs0(string args0) =>
        WriteConfig(ValidConfig.Replace("/bin/prog", args0, StringComparison.Ordinal));

    private void WriteExecutable(string relativePath, byte[] content)
    {
        var path = Path.Join(_bundle, "rootfs", relativePath);
        File.WriteAllBytes(path, content);
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
    }
}
