using System.Text.Json;
using Csrunsc.Oci;
using Csrunsc.Sentry.Kernel;
using Xunit;

namespace Csrunsc.Tests.Oci;

/// <summary>IdMap's translation and uid_map format, and config.json's user namespace checked as runc 1.1.5 checks it.</summary>
public sealed class UserNamespaceCheckTests
{
    private static OciSpec Spec(string linux, string user = """{"uid":0,"gid":0}""") =>
        JsonSerializer.Deserialize($$"""{"process":{"args":["sh"],"cwd":"/","user":{{user}}},"root":{"path":"rootfs"},"linux":{{linux}}}""",
            OciSpecJsonContext.Default.OciSpec)!;

    private const string Map = """[{"containerID":0,"hostID":100000,"size":65536}]""";

    [Fact]
    public void IdentityMapsEveryIdButMinusOne()
    {
        var id = IdMap.Identity;
        Assert.True(id.IsIdentity);
        Assert.Equal(12345u, id.ToHost(12345));
        Assert.False(id.IsMapped(uint.MaxValue));
        Assert.Equal("         0          0 4294967295\n", id.Format());
    }

    [Fact]
    public void ExtentsTranslateBothWaysAndUnmappedIdsOverflow()
    {
        var map = new IdMap([new IdMapExtent(0, 100000, 1000), new IdMapExtent(1000, 300000, 10)]);
        Assert.Equal(100005u, map.ToHost(5));
        Assert.Equal(300003u, map.ToHost(1003));
        Assert.Equal(IdMap.Invalid, map.ToHost(1010));
        Assert.Equal(5u, map.ToContainer(100005));
        Assert.Equal(1009u, map.ToContainer(300009));
        Assert.Equal(IdMap.Invalid, map.ToContainer(0));
        Assert.Equal(65534u, map.ToContainerOrOverflow(0));
        Assert.False(map.IsMapped(uint.MaxValue));
        Assert.Equal("         0     100000       1000\n      1000     300000         10\n", map.Format());
    }

    [Theory]
    [InlineData(0u, 0u, 0u, "a mapping of size 0")]
    [InlineData(10u, 100005u, 5u, "overlapping mappings")]
    [InlineData(5u, 200000u, 10u, "overlapping mappings")]
    public void KernelRefusedMapsAreNamed(uint c, uint h, uint size, string why) =>
        Assert.Equal(why, IdMap.Validate([new IdMapExtent(0, 100000, 10), new IdMapExtent(c, h, size)]));

    [Fact]
    public void WithoutMappingsTheUserNamespaceIsRefused()
    {
        Assert.Equal("User namespaces enabled, but no uid mappings found.", UserNamespaceCheck.Check(Spec("""{"namespaces":[{"type":"user"}]}""")));
        Assert.Equal("User namespaces enabled, but no gid mappings found.",
            UserNamespaceCheck.Check(Spec($$"""{"namespaces":[{"type":"user"}],"uidMappings":{{Map}}}""")));
    }

    [Fact]
    public void MappingsWithoutANamespaceAreIgnored()
    {
        var spec = Spec($$"""{"uidMappings":{{Map}},"gidMappings":{{Map}}}""");
        Assert.Null(UserNamespaceCheck.Check(spec));
        Assert.Same(UserNamespaceMap.Initial, UserNamespaceCheck.MapOf(spec));
    }

    [Fact]
    public void UnmappedProcessIdsAreRefused()
    {
        string linux = $$"""{"namespaces":[{"type":"user"}],"uidMappings":{{Map}},"gidMappings":{{Map}}}""";
        Assert.Null(UserNamespaceCheck.Check(Spec(linux)));
        Assert.EndsWith("cannot set uid to unmapped user in user namespace", UserNamespaceCheck.Check(Spec(linux, """{"uid":70000,"gid":0}""")));
        Assert.EndsWith("cannot set gid to unmapped user in user namespace", UserNamespaceCheck.Check(Spec(linux, """{"uid":0,"gid":70000}""")));
        var map = UserNamespaceCheck.MapOf(Spec(linux));
        Assert.True(map.IsNew);
        Assert.Equal(100000u, map.Uids.ToHost(0));
    }

    [Fact]
    public void AJoinedNamespacesMapsMustBeTheConfigs()
    {
        // /proc/PID/uid_map as the kernel prints it ("%10u %10u %10u").
        var target = UserNamespaceCheck.ParseProcIdMap("         0     100000      65536\n")!;
        Assert.Equal([new IdMapExtent(0, 100000, 65536)], target);
        Assert.Null(UserNamespaceCheck.ParseProcIdMap("0 100000\n"));
        var two = UserNamespaceCheck.ParseProcIdMap("         0     100000       1000\n      1000     300000         10\n")!;
        const string path = "/proc/42/ns/user";
        var same = Spec($$"""{"namespaces":[{"type":"user","path":"{{path}}"}],"uidMappings":{{Map}},"gidMappings":{{Map}}}""");
        Assert.Null(UserNamespaceCheck.JoinedMapsDiffer(same, path, target, target));
        // Extents in another order are the same map.
        var reordered = Spec($$"""{"namespaces":[{"type":"user","path":"{{path}}"}],"uidMappings":[{"containerID":1000,"hostID":300000,"size":10},{"containerID":0,"hostID":100000,"size":1000}],"gidMappings":{{Map}}}""");
        Assert.Null(UserNamespaceCheck.JoinedMapsDiffer(reordered, path, two, target));
        Assert.Equal("user namespace /proc/42/ns/user: linux.uidMappings are not its uid_map (0 100000 1000, 1000 300000 10)",
            UserNamespaceCheck.JoinedMapsDiffer(same, path, two, target));
        Assert.Contains("linux.gidMappings are not its gid_map", UserNamespaceCheck.JoinedMapsDiffer(same, path, target, two));
    }
}
