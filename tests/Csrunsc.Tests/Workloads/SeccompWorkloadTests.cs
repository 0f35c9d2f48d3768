using System.Text.Json.Nodes;
using Csrunsc.Tests.Differential;
using Xunit;

namespace Csrunsc.Tests.Workloads;

/// <summary>Docker's default seccomp profile under a python3 workload: same results as runc.</summary>
[Collection(DifferentialCollection.Name)]
public sealed class SeccompWorkloadTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void Python3UnderDockersDefaultProfile()
    {
        var (runc, _) = WorkloadAssert.SameStdoutAndExit(fixture, ["python3", "-c", """
            import os, socket, subprocess, threading, errno
            out = []
            t = threading.Thread(target=lambda: out.append(sum(range(10000))))
            t.start(); t.join()
            print("thread", out)
            print("subprocess", subprocess.run(["echo", "child"], capture_output=True, text=True).stdout.strip())
            a, b = socket.socketpair(); a.send(b"x"); print("socketpair", b.recv(1))
            for fam in (socket.AF_UNIX, 40):
                try: socket.socket(fam, socket.SOCK_STREAM).close(); print("socket", fam, "ok")
                except OSError as e: print("socket", fam, errno.errorcode[e.errno])
            try: os.unshare(os.CLONE_NEWUTS) if hasattr(os, "unshare") else print("unshare missing")
            except OSError as e: print("unshare", errno.errorcode[e.errno])
            print("cwd", os.getcwd())
            print([l.split(":")[0] for l in open("/proc/self/status") if l.startswith("Seccomp")])
            """], editConfig: config =>
            ((JsonObject)config["linux"]!)["seccomp"] = JsonNode.Parse(File.ReadAllText(Path.Join(RepositoryLayout.AssetsDir, "seccomp", "docker-default.json"))));
        Assert.Contains("subprocess child\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("socket 40 EPERM\n", runc.Stdout, StringComparison.Ordinal);
    }
}
