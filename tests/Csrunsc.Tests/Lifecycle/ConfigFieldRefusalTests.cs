using System.Text.Json.Nodes;
using Csrunsc.Oci;
using Csrunsc.Tests.Differential;
using Xunit;
using static Csrunsc.Tests.Lifecycle.LifecycleCompare;

namespace Csrunsc.Tests.Lifecycle;

/// <summary>
/// Each refused config.json field of the code's table (ConfigFields) with its example value:
/// `create` fails with exit status 1 and a one-line cause, and leaves nothing behind. Where runc
/// 1.1.5 refuses the same value (on this host: no AppArmor, SELinux or Intel RDT) both runtimes
/// are run; fields newer than runc 1.1.5's spec (which it ignores as unknown) run under csrunsc only.
/// </summary>
[Collection(LifecycleCollection.Name)]
public sealed class ConfigFieldRefusalTests(LifecycleFixture fixture)
{
    /// <summary>Fields whose example runc 1.1.5 also refuses here.</summary>
    private static readonly HashSet<string> RuncRefusesToo =
    [
        "mounts[].type", "process.rlimits", "process.apparmorProfile", "process.selinuxLabel", "linux.intelRdt", "linux.sysctl",
        "linux.seccomp.flags", "linux.rootfsPropagation", "linux.mountLabel",
    ];

    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var f in ConfigFields.All.Where(f => f.Example is not null)) data.Add(f.Path);
        return data;
    }

    /// <summary>Puts the field's example into the config ("a[].b": a new tmpfs mount with b set).</summary>
    private static void SetExample(JsonObject config, ConfigField field)
    {
        var value = JsonNode.Parse(field.Example!);
        string[] parts = field.Path.Split('.');
        if (parts[0].EndsWith("[]", StringComparison.Ordinal))
        {
            var entry = new JsonObject { ["destination"] = "/mnt", ["type"] = "tmpfs", ["source"] = "tmpfs" };
            entry[parts[1]] = value;
            ((JsonArray)config[parts[0][..^2]]!).Add((JsonNode)entry);
            return;
        }
        if (parts.Length > 2 && parts[1] == "seccomp") config["linux"]!["seccomp"] ??= new JsonObject { ["defaultAction"] = "SCMP_ACT_ALLOW" };
        // listenerPath is refused only with an SCMP_ACT_NOTIFY action (runc ignores it without one).
        if (field.Path == "linux.seccomp.listenerPath")
            config["linux"]!["seccomp"]!["syscalls"] = new JsonArray(new JsonObject { ["names"] = new JsonArray("getcwd"), ["action"] = "SCMP_ACT_NOTIFY" });
        JsonNode node = config;
        foreach (var p in parts[..^1]) node = node[p] ??= new JsonObject();
        node[parts[^1]] = value;
    }

    [RootRequiredTheory]
    [MemberData(nameof(Examples))]
    public void RefusedAtCreate(string path)
    {
        var field = ConfigFields.All.Single(f => f.Path == path);
        // On an AppArmor host a profile is accepted (with a warning); runc would apply a loaded one.
        if (path == "process.apparmorProfile" && ConfigFields.AppArmorEnabled()) return;
        void Observe(LifecycleSession s, List<string> o)
        {
            var id = s.NewId();
            var r = s.Create(id, s.NewBundle(id, ["true"], c => SetExample(c, field)));
            o.Add($"create: exit {r.ExitCode}");
            if (s.Runtime == LifecycleSession.Csrunsc)
            {
                string cause = s.LastLogLine()?.Msg ?? "";
                o.Add($"one-line cause: {cause.Length > 0 && !cause.Contains('\n')}");
                if (field.Refuse is not null)
                {
                    using var doc = System.Text.Json.JsonDocument.Parse(field.Example!);
                    o.Add($"the table's cause: {cause.Contains(field.Refuse(doc.RootElement)!, StringComparison.Ordinal)}");
                }
            }
        }
        string[] csrunsc = field.Refuse is not null
            ? ["create: exit 1", "one-line cause: True", "the table's cause: True"]
            : ["create: exit 1", "one-line cause: True"];
        if (RuncRefusesToo.Contains(path))
        {
            Scenario(fixture, Observe, ["create: exit 1"], csrunsc);
        }
        else
        {
            using var s = new LifecycleSession(fixture, LifecycleSession.Csrunsc);
            var lines = new List<string>();
            Observe(s, lines);
            var left = s.CleanUpAndListLeftovers();
            Assert.Equal([.. csrunsc], lines);
            Assert.Empty(left);
        }
    }
}
