using System.Text.Json;
using Csrunsc.Cli;
using Csrunsc.Oci;
using Csrunsc.Tests.Differential;
using Xunit;

namespace Csrunsc.Tests.Oci;

/// <summary>The OCI model against runc's own output: `runc spec` is the reference.</summary>
public sealed class OciSpecTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("csrunsc-spec-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void DefaultIsByteForByteWhatRuncSpecWrites()
    {
        Assert.Equal(RuncSpec(), OciSpec.Default().ToRuncJson());
    }

    [Fact]
    public void ParsingRuncSpecAndWritingItBackChangesNothing()
    {
        var text = RuncSpec();
        var spec = OciSpec.Parse(text);
        Assert.NotNull(spec);
        Assert.Equal(["sh"], spec.Process!.Args);
        Assert.True(spec.Process.Terminal);
        Assert.Equal("rootfs", spec.Root!.Path);
        Assert.Equal(7, spec.Mounts!.Count);
        Assert.Equal(JsonValueKind.Object, spec.Linux!.Resources!.Value.ValueKind);
        Assert.Equal(text, spec.ToRuncJson());
    }

    [Fact]
    public void UnknownFieldsSurviveARoundTrip()
    {
        var spec = OciSpec.Parse("""
            {"ociVersion":"1.0.2","futureField":{"a":[1,2]},"process":{"args":["x"],"cwd":"/","newThing":true},
             "linux":{"intelRdt":{"closID":"c"},"uidMappings":[{"containerID":0,"hostID":1000,"size":1}]}}
            """)!;
        var written = spec.ToRuncJson();
        Assert.Contains("\"futureField\"", written);
        Assert.Contains("\"newThing\": true", written);
        Assert.Contains("\"intelRdt\"", written);
        Assert.Contains("\"containerID\": 0", written);
        Assert.Equal(1000u, spec.Linux!.UidMappings![0].HostId);
    }

    [Fact]
    public void FullModelParses()
    {
        var spec = OciSpec.Parse("""
            {"ociVersion":"1.0.2",
             "process":{"terminal":false,"user":{"uid":1,"gid":2,"umask":18,"additionalGids":[3,4]},"args":["sh"],
               "env":["A=B"],"cwd":"/w","capabilities":{"bounding":["CAP_KILL"]},
               "rlimits":[{"type":"RLIMIT_NPROC","hard":10,"soft":5}],"noNewPrivileges":true,"oomScoreAdj":-998},
             "root":{"path":"/abs/rootfs","readonly":true},"hostname":"h",
             "mounts":[{"destination":"/data","type":"bind","source":"/srv","options":["rbind","ro"]}],
             "hooks":{"prestart":[{"path":"/bin/hook","args":["hook","x"],"env":["E=1"],"timeout":5}],
                      "createRuntime":[],"createContainer":[],"startContainer":[],"poststart":[],"poststop":[]},
             "annotations":{"k":"v"},
             "linux":{"namespaces":[{"type":"network","path":"/var/run/netns/x"}],"cgroupsPath":"/c",
               "maskedPaths":["/proc/kcore"],"readonlyPaths":["/proc/sys"],"seccomp":{"defaultAction":"SCMP_ACT_ALLOW"},
               "sysctl":{"net.ipv4.ip_forward":"1"},"gidMappings":[{"containerID":0,"hostID":100,"size":10}]}}
            """)!;
        Assert.Equal(18u, spec.Process!.User.Umask);
        Assert.Equal([3u, 4u], spec.Process.User.AdditionalGids);
        Assert.Equal(-998, spec.Process.OomScoreAdj);
        Assert.Equal(5, spec.Hooks!.Prestart![0].Timeout);
        Assert.Equal("v", spec.Annotations!["k"]);
        Assert.Equal("/var/run/netns/x", spec.Linux!.Namespaces![0].Path);
        Assert.Equal("1", spec.Linux.Sysctl!["net.ipv4.ip_forward"]);
        Assert.Equal("SCMP_ACT_ALLOW", spec.Linux.Seccomp!.Value.GetProperty("defaultAction").GetString());
        Assert.Equal(10u, spec.Linux.GidMappings![0].Size);
    }

    [Fact]
    public void SpecCommandWritesWhatRuncWritesAndRefusesToOverwrite()
    {
        var bundle = Path.Join(_dir, "bundle");
        Directory.CreateDirectory(bundle);
        Assert.Equal(0, SpecCommand.Run(["--bundle", bundle]));
        Assert.Equal(RuncSpec(), File.ReadAllText(Path.Join(bundle, "config.json")));
        Assert.Equal(1, SpecCommand.Run(["-b", bundle]));
        Assert.Equal(1, SpecCommand.Run(["--bundle", Path.Join(_dir, "missing")]));
    }

    private string RuncSpec()
    {
        var dir = Path.Join(_dir, "runc-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        HostCommand.Run("runc", "spec", "--bundle", dir);
        return File.ReadAllText(Path.Join(dir, "config.json"));
    }
}
