using System.Text.Json.Nodes;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// Set-user-ID / set-group-ID execve and file capabilities under runc and csrunsc (same stdout and
/// exit status), with tests/progs/setid.c: copies of it made set-id in the bundle's rootfs on the
/// host (chown, chmod) and run by uid 4321 with noNewPrivileges false and true, from a nosuid bind
/// mount, under an unprivileged PTRACE_TRACEME tracer, from a child sharing its parent's fs context, as #! scripts (whose own bits Linux
/// ignores, though a set-id interpreter's count); file capabilities on a tmpfs set by root.
/// The config's capability lists (CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE) bound what a
/// set-uid-root program gets.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class SetidExecTests(DifferentialFixture fixture)
{
    private static readonly string[] Programs =
    [
        "/bin/setid-root", "/bin/setid-gid", "/bin/setid-gid-noxgrp", "/bin/setid-both", "/bin/setid-owner-only",
        "/bin/setid-unreadable", "/bin/setid-script", "/bin/setid-script-suid-interp", "/nosuid/setid-root", "/suidmnt/setid-root",
    ];

    private static void Setid(string path, string owner, string mode)
    {
        HostCommand.Run("chown", owner, path);
        HostCommand.Run("chmod", mode, path);
    }

    /// <summary>The bundle's rootfs gets the set-id copies; BUNDLE/nosuid and BUNDLE/suidmnt (bind-mounted, the first nosuid) a set-uid-root one each.</summary>
    private RunResult Run(string runtime, string[] args, Action<JsonObject> edit)
    {
        var runner = fixture.Runner;
        var id = runner.NewContainerId(runtime);
        var bundleDir = Path.Join(fixture.ScratchDir, "bundles", id);
        var bundle = runner.CreateBundle(id, args, config =>
        {
            var mounts = config["mounts"]!.AsArray();
            foreach (var (dest, options) in new[] { ("/nosuid", new JsonArray("bind", "nosuid")), ("/suidmnt", new JsonArray("bind")) })
            {
                mounts.Add((JsonNode)new JsonObject
                {
                    ["destination"] = dest, ["type"] = "bind", ["source"] = Path.Join(bundleDir, dest.TrimStart('/')), ["options"] = options,
                });
            }
            edit(config);
        });
        var bin = Path.Join(bundle, "rootfs", "bin");
        var plain = Path.Join(bin, "setid");
        foreach (var (name, owner, mode) in new[]
        {
            ("setid-root", "0:0", "4755"), ("setid-gid", "0:2222", "2755"), ("setid-gid-noxgrp", "0:2222", "2745"),
            ("setid-both", "1111:2222", "6755"), ("setid-owner-only", "0:0", "4700"),
            ("setid-unreadable", "0:0", "0711"),
        })
        {
            File.Copy(plain, Path.Join(bin, name));
            Setid(Path.Join(bin, name), owner, mode);
        }
        File.WriteAllText(Path.Join(bin, "setid-script"), "#!/bin/setid show\n");
        Setid(Path.Join(bin, "setid-script"), "0:0", "4755");
        File.WriteAllText(Path.Join(bin, "setid-script-suid-interp"), "#!/bin/setid-root show\n");
        Setid(Path.Join(bin, "setid-script-suid-interp"), "0:0", "0755");
        foreach (var dir in new[] { "nosuid", "suidmnt" })
        {
            Directory.CreateDirectory(Path.Join(bundle, dir));
            File.Copy(plain, Path.Join(bundle, dir, "setid-root"));
            Setid(Path.Join(bundle, dir, "setid-root"), "0:0", "4755");
        }
        return runner.RunBundle(runtime, bundle, id);
    }

    private (RunResult Runc, RunResult Csrunsc) Compare(string[] args, Action<JsonObject> edit)
    {
        var runc = Run(ContainerRunner.Runc, args, edit);
        Assert.False(runc.TimedOut, $"the reference run timed out:\n{runc}");
        var csrunsc = Run(ContainerRunner.Csrunsc, args, edit);
        Assert.False(csrunsc.TimedOut, $"csrunsc timed out:\n{csrunsc}");
        Assert.True(
            runc.ExitCode == csrunsc.ExitCode && runc.Stdout == csrunsc.Stdout,
            $"csrunsc differs from runc for [{string.Join(' ', args)}]\n=== runc ===\n{runc}\n=== csrunsc ===\n{csrunsc}");
        Assert.Empty(csrunsc.LeftBehind);
        return (runc, csrunsc);
    }

    private static Action<JsonObject> AsUser(bool noNewPrivileges) => config =>
    {
        config["process"]!["user"] = new JsonObject { ["uid"] = 4321, ["gid"] = 1234 };
        config["process"]!["noNewPrivileges"] = noNewPrivileges;
    };

    [RootRequiredFact]
    public void SetidBitsRaiseTheIdsOfAUser()
    {
        var (runc, _) = Compare(["/bin/setid", "run", .. Programs], AsUser(noNewPrivileges: false));
        Assert.Contains("== /bin/setid-root\nresuid 4321 0 0 resgid 1234 1234 1234 secure 1 dumpable 0 pdeathsig 0", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("== /nosuid/setid-root\nresuid 4321 4321 4321 resgid 1234 1234 1234 secure 0 dumpable 1 pdeathsig 10", runc.Stdout, StringComparison.Ordinal);
        // The bounding set of the config (AUDIT_WRITE, KILL, NET_BIND_SERVICE) is what set-uid root gets.
        Assert.Contains("CapPrm:\t0000000020000420\nCapEff:\t0000000020000420\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("== /bin/setid-gid\nresuid 4321 4321 4321 resgid 1234 2222 2222 secure 1", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("== /bin/setid-gid-noxgrp\nresuid 4321 4321 4321 resgid 1234 1234 1234 secure 0", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("== /bin/setid-owner-only\n/bin/setid-owner-only: execve errno 13\n", runc.Stdout, StringComparison.Ordinal);
        // An unreadable program is not dumpable (would_dump).
        Assert.Contains("== /bin/setid-unreadable\nresuid 4321 4321 4321 resgid 1234 1234 1234 secure 0 dumpable 0 pdeathsig 10", runc.Stdout, StringComparison.Ordinal);
        // A set-uid script's bits are ignored; a set-uid interpreter's are not.
        Assert.Contains("== /bin/setid-script\nresuid 4321 4321 4321", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("== /bin/setid-script-suid-interp\nresuid 4321 0 0", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void TheContainerProcessItselfMayBeSetid()
    {
        var (runc, _) = Compare(["/bin/setid-both", "show"], AsUser(noNewPrivileges: false));
        Assert.Contains("resuid 4321 1111 1111 resgid 1234 2222 2222 secure 1 dumpable 0", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void NoNewPrivilegesIgnoresSetidBits()
    {
        var (runc, _) = Compare(["/bin/setid", "run", .. Programs], AsUser(noNewPrivileges: true));
        Assert.DoesNotContain("resuid 4321 0 0", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void AnUnprivilegedTracerKeepsTheIdsDown()
    {
        var (runc, _) = Compare(["/bin/setid", "trace", "/bin/setid-root"], AsUser(noNewPrivileges: false));
        Assert.Contains("resuid 4321 4321 4321", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void ASharedFsContextKeepsTheIdsDown()
    {
        var (runc, _) = Compare(["/bin/setid", "share", "/bin/setid-root"], AsUser(noNewPrivileges: false));
        Assert.Contains("resuid 4321 4321 4321", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void FileCapabilitiesOnATmpfs()
    {
        var (runc, _) = Compare(["/bin/setid", "fcap", "/fcap"], config =>
        {
            config["process"]!["noNewPrivileges"] = false;
            var caps = (JsonObject)config["process"]!["capabilities"]!;
            foreach (var set in new[] { "bounding", "effective", "permitted" })
            {
                var list = (JsonArray)caps[set]!;
                foreach (var c in new[] { "CAP_SETUID", "CAP_SETGID", "CAP_SETFCAP" }) list.Add((JsonNode)JsonValue.Create(c)!);
            }
            config["mounts"]!.AsArray().Add((JsonNode)new JsonObject
            {
                ["destination"] = "/fcap", ["type"] = "tmpfs", ["source"] = "tmpfs", ["options"] = new JsonArray("nodev", "mode=755"),
            });
        });
        // A revision 3 value with root id 0 reads back as revision 2; another root id's is ignored by execve.
        Assert.Contains("== fcap v3-eff\ngetxattr 20\nresuid 4321 4321 4321 resgid 1234 1234 1234 secure 1 dumpable 0 pdeathsig 0 personality 0\nCapInh:\t0000000000000000\nCapPrm:\t0000000000000400\nCapEff:\t0000000000000400\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("== fcap v3-otherroot\ngetxattr 24\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("/fcap/v2-notbounded-eff: execve errno 1\n", runc.Stdout, StringComparison.Ordinal);
    }
}
