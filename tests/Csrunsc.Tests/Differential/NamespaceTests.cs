using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// Namespaces named by path in config.json: a path that is missing or of another type fails create
/// (both runtimes), and a UTS namespace joined by path gives the container that namespace's
/// hostname, as a pod's app containers see the pause container's. The sandbox process's own UTS
/// namespace carries the guest's hostname, so joining it from the host shows the same name.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class NamespaceTests(DifferentialFixture fixture)
{
    private static Action<JsonObject> WithPath(string type, string path) => c =>
    {
        var list = (JsonArray)c["linux"]!["namespaces"]!;
        foreach (var n in list.ToList())
            if ((string?)n!["type"] == type) list.Remove(n);
        list.Add((JsonNode)new JsonObject { ["type"] = type, ["path"] = path });
        if (type == "uts") c.Remove("hostname");
    };

    [RootRequiredTheory]
    [InlineData("uts", "/nonexistent/uts", "no such file or directory")]
    [InlineData("uts", "/proc/self/ns/net", "not a uts namespace")]
    [InlineData("ipc", "/proc/self/ns/uts", "not a ipc namespace")]
    [InlineData("mount", "/proc/self/ns/ipc", "not a mount namespace")]
    public void BadNamespacePathFailsCreate(string type, string path, string cause)
    {
        var reference = fixture.Runner.RunUnder(ContainerRunner.Runc, ["true"], editConfig: WithPath(type, path));
        Assert.NotEqual(0, reference.ExitCode);
        var result = fixture.Runner.RunUnder(ContainerRunner.Csrunsc, ["true"], editConfig: WithPath(type, path));
        DifferentialAssert.FailsWithOneLine(result, reference.ExitCode, cause);
    }

    [RootRequiredFact]
    public void DuplicatedNamespaceIsRefused()
    {
        static void Twice(JsonObject c) => ((JsonArray)c["linux"]!["namespaces"]!).Add((JsonNode)new JsonObject { ["type"] = "ipc" });
        var reference = fixture.Runner.RunUnder(ContainerRunner.Runc, ["true"], editConfig: Twice);
        Assert.NotEqual(0, reference.ExitCode);
        var result = fixture.Runner.RunUnder(ContainerRunner.Csrunsc, ["true"], editConfig: Twice);
        DifferentialAssert.FailsWithOneLine(result, reference.ExitCode, "duplicated ns");
    }

    [RootRequiredFact]
    public void JoinedUtsNamespaceGivesItsHostname()
    {
        // A host process holding a UTS namespace with a name of its own (a pod's pause container).
        using var holder = Process.Start(new ProcessStartInfo("unshare", ["--uts", "sh", "-c", "hostname pod-uts-host && exec sleep 60"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            string path = $"/proc/{holder.Id}/ns/uts";
            for (int i = 0; i < 100 && ReadHostnameIn(holder.Id) != "pod-uts-host"; i++) Thread.Sleep(50);
            Assert.Equal("pod-uts-host", ReadHostnameIn(holder.Id));
            var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, WithPath("uts", path), "sh", "-c", "hostname; cat /proc/sys/kernel/hostname");
            Assert.Equal("pod-uts-host\npod-uts-host\n", runc.Stdout);
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            holder.WaitForExit();
        }
    }

    [RootRequiredTheory]
    [InlineData(ContainerRunner.Runc)]
    [InlineData(ContainerRunner.Csrunsc)]
    public void SandboxProcessUtsNamespaceHasTheGuestHostname(string runtime)
    {
        var id = fixture.Runner.NewContainerId(runtime);
        var bundle = fixture.Runner.CreateBundle(id, ["sleep", "30"], c => c["hostname"] = "guest-named");
        using var started = fixture.Runner.Start(runtime, bundle, id);
        int pid = 0;
        for (int i = 0; i < 200 && pid == 0; i++)
        {
            pid = StatePid(started);
            if (pid == 0) Thread.Sleep(50);
        }
        Assert.True(pid > 0, "container never reported a pid");
        string name = "";
        for (int i = 0; i < 100 && name != "guest-named"; i++)
        {
            name = ReadHostnameIn(pid);
            if (name != "guest-named") Thread.Sleep(50);
        }
        Assert.Equal("guest-named", name);
    }

    private static int StatePid(StartedContainer c)
    {
        var (code, stdout) = Exec(ContainerRunner.ResolveRuntime(c.Runtime), "--root", c.StateRoot, "state", c.ContainerId);
        if (code != 0) return 0;
        try
        {
            var json = JsonNode.Parse(stdout);
            return (string?)json?["status"] == "running" ? (int?)json?["pid"] ?? 0 : 0;
        }
        catch (System.Text.Json.JsonException)
        {
            return 0;
        }
    }

    private static string ReadHostnameIn(int pid)
    {
        var (code, stdout) = Exec("nsenter", "-u", "-t", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "cat", "/proc/sys/kernel/hostname");
        return code == 0 ? stdout.Trim() : "";
    }

    private static (int Code, string Stdout) Exec(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(10_000))
        {
            p.Kill(entireProcessTree: true);
            return (-1, "");
        }
        return (p.ExitCode, stdout.Result);
    }
}
