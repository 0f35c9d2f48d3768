using System.Text.Json.Nodes;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// User namespaces as runc applies them: /proc/self/uid_map, gid_map and setgroups with and
/// without {"type":"user"}, file ownership through the id maps both ways (host ids outside the
/// mapping show as 65534; what the guest creates and chowns lands on the host as the mapped id,
/// checked on the bundle's rootfs after the run), capabilities not counting for files whose owner
/// is unmapped, EINVAL for unmapped ids, and runc's refusals of incomplete configs.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class UserNamespaceTests
{
    private const uint HostBase = 100000;

    private readonly DifferentialFixture fixture;

    public UserNamespaceTests(DifferentialFixture fixture)
    {
        this.fixture = fixture;
        SearchableByEveryone(fixture.ScratchDir);
    }

    private static JsonArray Names(params string[] names) => new(names.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray());

    private static JsonArray Mapping(params (uint Container, uint Host, uint Size)[] extents) =>
        new(extents.Select(e => (JsonNode?)new JsonObject { ["containerID"] = e.Container, ["hostID"] = e.Host, ["size"] = e.Size }).ToArray());

    /// <summary>A user namespace (plus a network one: runc cannot mount sysfs in a user namespace without it), root with the file capabilities.</summary>
    private static void UserNamespace(JsonObject config, JsonArray? uids, JsonArray? gids)
    {
        var linux = config["linux"]!.AsObject();
        var namespaces = linux["namespaces"]!.AsArray();
        namespaces.Add((JsonNode)new JsonObject { ["type"] = "user" });
        namespaces.Add((JsonNode)new JsonObject { ["type"] = "network" });
        if (uids is not null) linux["uidMappings"] = uids;
        if (gids is not null) linux["gidMappings"] = gids;
        FileCapabilities(config);
    }

    private static void FileCapabilities(JsonObject config)
    {
        var caps = Names("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_MKNOD");
        config["process"]!["capabilities"] = new JsonObject
        {
            ["bounding"] = caps.DeepClone(), ["effective"] = caps.DeepClone(), ["permitted"] = caps.DeepClone(),
        };
    }

    private static void Standard(JsonObject config) =>
        UserNamespace(config, Mapping((0, HostBase, 65536)), Mapping((0, HostBase, 65536)));

    /// <summary>Two uid extents and a gid map of its own: the lines keep the config's order.</summary>
    private static void Split(JsonObject config) =>
        UserNamespace(config, Mapping((1000, 300000, 10), (0, HostBase, 1000)), Mapping((0, 200000, 5000)));

    public static TheoryData<string> MapConfigs => ["none", "standard", "split", "mappings-without-namespace"];

    private static void Apply(JsonObject config, string which)
    {
        switch (which)
        {
            case "standard": Standard(config); break;
            case "split": Split(config); break;
            case "mappings-without-namespace":
                // runc 1.1.5 accepts mappings without a user namespace and ignores them.
                config["linux"]!["uidMappings"] = Mapping((0, HostBase, 65536));
                config["linux"]!["gidMappings"] = Mapping((0, HostBase, 65536));
                break;
        }
    }

    [RootRequiredTheory]
    [MemberData(nameof(MapConfigs))]
    public void ProcIdMapsAreRuncs(string which)
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, c => Apply(c, which),
            "sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; cat /proc/1/uid_map; " +
            "echo '0 0 1' > /proc/self/uid_map 2>/dev/null; echo write $?; echo allow > /proc/self/setgroups; echo allow $?; " +
            "echo deny > /proc/self/setgroups 2>/dev/null; echo deny $?");
        string identity = "         0          0 4294967295\n";
        string expected = which switch
        {
            "standard" => "         0     100000      65536\n",
            "split" => "      1000     300000         10\n         0     100000       1000\n",
            _ => identity,
        };
        Assert.StartsWith(expected, runc.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// What the host kernel owns under runc shows as 65534 in a user namespace leaving host root
    /// unmapped: /proc's root and system files, sysfs, the device nodes runc bind-mounts from the
    /// host; a process's /proc files, the network namespace's files and the container's own
    /// mounts (/dev, /dev/shm, devpts) are the container root's.
    /// </summary>
    [RootRequiredTheory]
    [InlineData("standard")]
    [InlineData("none")]
    public void HostOwnedObjectsAreOwnedByHostRootAsTheContainerSeesIt(string which)
    {
        string paths = "/proc /proc/meminfo /proc/sys /proc/sys/kernel/hostname /proc/self /proc/1 /proc/1/status /proc/self/fd/0 " +
            "/proc/sysvipc /proc/net /sys /sys/kernel /sys/devices/system/cpu /dev /dev/shm /dev/pts /dev/pts/ptmx /dev/null /dev/zero " +
            "/dev/full /dev/random /dev/urandom /dev/tty" + (which == "standard" ? " /proc/sys/net/ipv4/ip_forward /proc/net/unix /sys/class/net/lo" : "");
        DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, c => Apply(c, which), "sh", "-c", $"stat -c '%u %g %n' {paths}");
    }

    /// <summary>Runs args in a fresh bundle whose rootfs prepare edits first; returns the result and the bundle's rootfs.</summary>
    private (RunResult Result, string Rootfs) RunPrepared(string runtime, string[] args, Action<JsonObject> edit, Action<string> prepare)
    {
        var id = fixture.Runner.NewContainerId(runtime);
        var bundle = fixture.Runner.CreateBundle(id, args, edit);
        var rootfs = Path.Join(bundle, "rootfs");
        prepare(rootfs);
        var result = fixture.Runner.RunBundle(runtime, bundle, id);
        Assert.False(result.TimedOut, $"{runtime} timed out:\n{result}");
        return (result, rootfs);
    }

    /// <summary>
    /// runc's init mounts the rootfs as the namespace's root (a host uid without rights over the
    /// test's 0700 scratch directory): every directory above the bundles gets o+x, as a user
    /// namespace bundle needs under runc. (csrunsc's gofer reaches it either way.)
    /// </summary>
    private static void SearchableByEveryone(string path)
    {
        for (var dir = new DirectoryInfo(path); dir is not null; dir = dir.Parent)
        {
            var mode = File.GetUnixFileMode(dir.FullName);
            if ((mode & UnixFileMode.OtherExecute) == 0) File.SetUnixFileMode(dir.FullName, mode | UnixFileMode.OtherExecute);
        }
    }

    /// <summary>Host-side owners: /etc/hostname mapped (host 100005:100006), /etc/group just past the mapping, the rest host root's (unmapped).</summary>
    private static void OwnTestFiles(string rootfs)
    {
        HostCommand.Run("chown", "100005:100006", Path.Join(rootfs, "etc/hostname"));
        HostCommand.Run("chown", "165536:165536", Path.Join(rootfs, "etc/group"));
        HostCommand.Run("chown", "100000:100000", Path.Join(rootfs, "root"));
        File.WriteAllText(Path.Join(rootfs, "etc/secret"), "secret\n");
        File.SetUnixFileMode(Path.Join(rootfs, "etc/secret"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private static string HostOwners(string rootfs, params string[] paths) =>
        HostCommand.Run("stat", ["-c", "%n %u %g", .. paths.Select(p => Path.Join(rootfs, p))]).Replace(rootfs, "", StringComparison.Ordinal);

    private void SameOnBoth(string[] args, Action<JsonObject> edit, Action<string> prepare, string[]? hostPaths = null)
    {
        var (runc, runcRoot) = RunPrepared(ContainerRunner.Runc, args, edit, prepare);
        var (csrunsc, csrunscRoot) = RunPrepared(ContainerRunner.Csrunsc, args, edit, prepare);
        Assert.True(runc.ExitCode == csrunsc.ExitCode && runc.Stdout == csrunsc.Stdout,
            $"csrunsc differs from runc\n=== runc ===\n{runc}\n=== csrunsc ===\n{csrunsc}");
        Assert.Empty(csrunsc.LeftBehind);
        if (hostPaths is not null) Assert.Equal(HostOwners(runcRoot, hostPaths), HostOwners(csrunscRoot, hostPaths));
    }

    [RootRequiredTheory]
    [InlineData("standard")]
    [InlineData("none")]
    public void OwnershipOfRootfsFilesIsTranslated(string which)
    {
        SameOnBoth(["sh", "-c", "ls -ln /bin/busybox /etc/hostname /etc/group /etc/passwd; ls -lnd / /tmp /root; stat -c '%u %g' /etc/hostname"],
            c => Apply(c, which), OwnTestFiles);
    }

    [RootRequiredFact]
    public void FilesTheGuestCreatesAndChownsGetMappedHostIds()
    {
        const string script =
            "touch /tmp/f; echo touch $?; chown 1000:1000 /tmp/f; echo chown $?; mkdir /tmp/d; chown 7:8 /tmp/d; echo chown-dir $?; " +
            "ln -s f /tmp/l; mkfifo /tmp/p; mkdir /root/own; chown 0:5 /root/own; echo root-own $?; ls -ln /tmp; " +
            "chown 70000 /tmp/f 2>/dev/null; echo chown-unmapped-id $?; chown :70000 /tmp/f 2>/dev/null; echo chgrp-unmapped-id $?; " +
            "chown 0 /etc/passwd 2>/dev/null; echo chown-unmapped-owner $?; chown 9 /etc/hostname; echo chown-mapped-owner $?; " +
            "chmod 600 /etc/passwd 2>/dev/null; echo chmod-unmapped $?; echo x >> /etc/passwd 2>/dev/null; echo write-unmapped $?; " +
            "cat /etc/passwd > /dev/null; echo read $?; touch /new 2>/dev/null; echo create-in-unmapped-dir $?; " +
            "echo x >> /etc/hostname; echo write-mapped $?; rm /etc/group 2>/dev/null; echo rm $?; " +
            "ls -ln /etc/hostname";
        SameOnBoth(["sh", "-c", script], Standard, OwnTestFiles,
            ["tmp/f", "tmp/d", "tmp/l", "tmp/p", "root/own", "etc/hostname", "etc/passwd"]);
    }

    /// <summary>The overflow id 65534 shown for an unmapped owner is not the owner: a guest running as 65534 is "other" there.</summary>
    [RootRequiredFact]
    public void TheOverflowIdOwnsNothing()
    {
        static void Nobody(JsonObject c)
        {
            Standard(c);
            c["process"]!["user"] = new JsonObject { ["uid"] = 65534, ["gid"] = 65534 };
        }
        SameOnBoth(["sh", "-c", "id; ls -ln /etc/secret; cat /etc/secret 2>/dev/null; echo cat $?; chmod 644 /etc/secret 2>/dev/null; echo chmod $?; " +
            "touch /tmp/n; echo touch $?; ls -ln /tmp/n"], Nobody, OwnTestFiles, ["tmp/n", "etc/secret"]);
    }

    /// <summary>A set-group-id directory whose group the namespace does not map still gives new files its (host) group.</summary>
    [RootRequiredFact]
    public void SetGroupIdDirectoryWithAnUnmappedGroup()
    {
        static void Srv(string rootfs)
        {
            var srv = Path.Join(rootfs, "srv");
            Directory.CreateDirectory(srv);
            HostCommand.Run("chmod", "2777", srv);
        }
        SameOnBoth(["sh", "-c", "touch /srv/f; mkdir /srv/d; ls -ln /srv"], Standard, Srv, ["srv/f", "srv/d"]);
    }

    [RootRequiredFact]
    public void WithoutUserNamespaceOwnershipIsTheHosts()
    {
        SameOnBoth(["sh", "-c", "touch /tmp/f; chown 1000:1000 /tmp/f; ls -ln /etc/hostname /etc/group /tmp/f"],
            FileCapabilities, OwnTestFiles, ["tmp/f", "etc/hostname"]);
    }

    public static TheoryData<string, string> Refusals => new()
    {
        { "no-uid-mappings", "User namespaces enabled, but no uid mappings found." },
        { "no-gid-mappings", "User namespaces enabled, but no gid mappings found." },
        { "no-mappings", "User namespaces enabled, but no uid mappings found." },
        { "unmapped-uid", "cannot set uid to unmapped user in user namespace" },
        { "unmapped-gid", "cannot set gid to unmapped user in user namespace" },
        { "no-network-namespace", "mount sysfs:/sys (via /proc/self/fd/6), flags: 0xf: operation not permitted" },
        { "no-ipc-namespace", "mount mqueue:/dev/mqueue (via /proc/self/fd/6), flags: 0xe: operation not permitted" },
        { "no-pid-namespace", "mount proc:/proc (via /proc/self/fd/6): operation not permitted" },
    };

    private static void Without(JsonObject c, string type)
    {
        Standard(c);
        var namespaces = c["linux"]!["namespaces"]!.AsArray();
        foreach (var n in namespaces.Where(n => (string?)n!["type"] == type).ToList()) namespaces.Remove(n);
    }

    /// <summary>runc's line (logrus escapes its quotes, so the causes are quote-free parts of it).</summary>
    [RootRequiredTheory]
    [MemberData(nameof(Refusals))]
    public void IncompleteConfigsAreRefusedLikeRunc(string which, string cause)
    {
        void Edit(JsonObject c)
        {
            var map = Mapping((0, HostBase, 65536));
            switch (which)
            {
                case "no-uid-mappings": UserNamespace(c, null, map); break;
                case "no-gid-mappings": UserNamespace(c, map, null); break;
                case "no-mappings": UserNamespace(c, null, null); break;
                case "unmapped-uid":
                    Standard(c);
                    c["process"]!["user"] = new JsonObject { ["uid"] = 70000, ["gid"] = 0 };
                    break;
                case "no-network-namespace": Without(c, "network"); break;
                case "no-ipc-namespace": Without(c, "ipc"); break;
                case "no-pid-namespace": Without(c, "pid"); break;
                case "unmapped-gid":
                    Standard(c);
                    c["process"]!["user"] = new JsonObject { ["uid"] = 0, ["gid"] = 70000 };
                    break;
            }
        }
        var runc = fixture.Runner.RunUnder(ContainerRunner.Runc, ["true"], editConfig: Edit);
        Assert.Contains(cause, runc.Stderr, StringComparison.Ordinal);
        var csrunsc = fixture.Runner.RunUnder(ContainerRunner.Csrunsc, ["true"], editConfig: Edit);
        DifferentialAssert.FailsWithOneLine(csrunsc, runc.ExitCode, cause);
    }

    /// <summary>
    /// A host user namespace joined by path (`unshare -U sleep`, its maps written from outside):
    /// with the config's mappings equal to the namespace's, the guest sees them and the target's
    /// identity under both runtimes. Mappings that differ are refused by csrunsc (runc 1.1.5 runs
    /// with the namespace's maps and uses the config's only for the rootfs owner; the Sentry takes
    /// the config's, so it refuses rather than run with maps the namespace does not have).
    /// </summary>
    [RootRequiredFact]
    public void AHostUserNamespaceJoinedByPath()
    {
        using var holder = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("unshare", ["-U", "sleep", "120"]))!;
        try
        {
            string ns = $"/proc/{holder.Id}/ns/user";
            for (int i = 0; i < 50 && File.ResolveLinkTarget(ns, false)?.Name == File.ResolveLinkTarget("/proc/self/ns/user", false)?.Name; i++) Thread.Sleep(20);
            File.WriteAllText($"/proc/{holder.Id}/uid_map", $"0 {HostBase} 65536\n");
            File.WriteAllText($"/proc/{holder.Id}/gid_map", $"0 {HostBase} 65536\n");
            void Join(JsonObject c, uint uidBase)
            {
                Standard(c);
                foreach (var n in c["linux"]!["namespaces"]!.AsArray().Where(n => (string?)n!["type"] == "user")) n!["path"] = ns;
                c["linux"]!["uidMappings"] = Mapping((0, uidBase, 65536));
            }
            var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, c => Join(c, HostBase),
                "sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; readlink /proc/self/ns/user");
            Assert.Contains($"0     {HostBase}      65536", runc.Stdout);
            Assert.Contains(File.ResolveLinkTarget(ns, false)!.Name, runc.Stdout);
            var csrunsc = fixture.Runner.RunUnder(ContainerRunner.Csrunsc, ["true"], editConfig: c => Join(c, 200000));
            DifferentialAssert.FailsWithOneLine(csrunsc, 1, "linux.uidMappings are not its uid_map");
        }
        finally
        {
            holder.Kill();
            holder.WaitForExit();
        }
    }
}
