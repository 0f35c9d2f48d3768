using System.Text.Json.Nodes;
using Csrunsc.Tests.Differential;
using Xunit;

namespace Csrunsc.Tests.Workloads;

/// <summary>
/// Resource limits and identity changes as Debian's tools use them, under runc and csrunsc on the
/// same bundle: bash's `ulimit -v` (python's MemoryError), `ulimit -f` (SIGXFSZ: 153, the file cut
/// at the limit), a SIGQUIT death without the core flag (no core file is written: RLIMIT_CORE is 0), `ulimit -t` (killed at the hard CPU limit: 137), a fork loop
/// under pids.limit ending in EAGAIN with every child reaped and the sandbox alive; runuser and
/// setpriv switching root to nobody (with PAM's config from the host), and a non-root setpriv
/// refused its way back; Debian's set-uid sudo run by nobody with a NOPASSWD sudoers entry.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class ProcessLimitWorkloadTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void UlimitsAndAForkLoopUnderAPidsLimit()
    {
        var (runc, _) = WorkloadAssert.SameBashOutput(fixture, """
            (ulimit -v 200000; python3 -c 'x = bytearray(400*1024*1024)' 2>&1 | tail -1); echo "v=$?"
            (ulimit -f 4; dd if=/dev/zero of=/tmp/big bs=1k count=10 2>/dev/null); echo "f=$?"; stat -c %s /tmp/big
            (ulimit -t 1; bash -c 'while :; do :; done'); echo "t=$?"
            sh -c 'kill -SEGV $$'; echo "segv=$?"
            python3 -c 'import os, signal
            pid = os.fork()
            if pid == 0: os.kill(os.getpid(), signal.SIGQUIT)
            st = os.waitpid(pid, 0)[1]; print("quit:", os.WTERMSIG(st), "core:", os.WCOREDUMP(st))'
            python3 - <<'P'
            import os, errno, time
            kids, err = [], None
            for i in range(200):
                try:
                    pid = os.fork()
                except OSError as e:
                    err = errno.errorcode[e.errno]
                    break
                if pid == 0:
                    time.sleep(2)
                    os._exit(7)
                kids.append(pid)
            codes = {os.waitstatus_to_exitcode(os.waitpid(k, 0)[1]) for k in kids}
            print("stopped early:", len(kids) < 200, "error:", err, "children exit codes:", codes)
            P
            echo alive
            """, config =>
        {
            config["linux"]!["resources"] = new JsonObject { ["pids"] = new JsonObject { ["limit"] = 40 } };
            // No core file under runc either, whatever the host's own limit is.
            if (config["process"]!["rlimits"] is not JsonArray rlimits) config["process"]!["rlimits"] = rlimits = [];
            rlimits.Add((JsonNode)new JsonObject { ["type"] = "RLIMIT_CORE", ["hard"] = 0, ["soft"] = 0 });
        });
        Assert.Contains("MemoryError\nv=0\nf=153\n4096\nt=137\nsegv=139\nquit: 3 core: False\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("stopped early: True error: EAGAIN children exit codes: {7}\nalive\n", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void RunuserAndSetprivChangeIdentity()
    {
        var files = HostPamConfig();
        var (runc, _) = WorkloadAssert.SameStdoutAndExit(fixture, ["bash", "-c", """
            runuser -u nobody -- id; echo "runuser=$?"
            setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all id; echo "setpriv=$?"
            setpriv --reuid=65534 --regid=65534 --clear-groups bash -c 'setpriv --reuid=0 id 2>&1; echo "back=$?"'
            setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs grep -E '^(NoNewPrivs|CapEff)' /proc/self/status
            runuser -u nobody -- bash -c 'ulimit -n 50; ulimit -n; ulimit -Hn 100000 2>&1 | sed "s/.*: //"'
            """], files, GrantIdentityCapabilities);
        Assert.Contains("uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\nrunuser=0\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("setresuid failed: Operation not permitted\nback=127\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("CapEff:\t0000000000000000\nNoNewPrivs:\t1\n50\nOperation not permitted\n", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void SudoAsAUser()
    {
        DebianBundle.RequireProgram("sudo", "sudo");
        var sudoers = Path.Join(fixture.ScratchDir, "sudoers");
        File.WriteAllText(sudoers, "Defaults !fqdn, !syslog, !lecture\nroot ALL=(ALL:ALL) ALL\nnobody ALL=(ALL:ALL) NOPASSWD: ALL\n");
        File.SetUnixFileMode(sudoers, UnixFileMode.UserRead | UnixFileMode.GroupRead);
        var (runc, _) = WorkloadAssert.SameStdoutAndExit(fixture, ["bash", "-c", """
            id -u
            sudo -n id; echo "sudo=$?"
            sudo -n -u nobody id -un; echo "as-nobody=$?"
            sudo -n grep -E '^Uid' /proc/self/status; echo "status=$?"
            """], new Dictionary<string, string>(HostPamConfig()) { ["etc/sudoers"] = sudoers }, config =>
        {
            config["process"]!["user"] = new JsonObject { ["uid"] = 65534, ["gid"] = 65534 };
            config["process"]!["noNewPrivileges"] = false;
            GrantIdentityCapabilities(config);
        });
        Assert.Contains("65534\nuid=0(root) gid=0(root) groups=0(root)\nsudo=0\nnobody\nas-nobody=0\nUid:\t0\t0\t0\t0\nstatus=0\n", runc.Stdout, StringComparison.Ordinal);
    }

    /// <summary>The host's PAM configuration (/etc/pam.d, /etc/security) for the rootfs: runuser and sudo open PAM sessions.</summary>
    private static Dictionary<string, string> HostPamConfig()
    {
        var files = new Dictionary<string, string>();
        foreach (var dir in new[] { "pam.d", "security" })
            foreach (var f in Directory.GetFiles(Path.Join("/etc", dir))) files[$"etc/{dir}/{Path.GetFileName(f)}"] = f;
        return files;
    }

    /// <summary>What runuser, setpriv and sudo need beyond `runc spec`'s three capabilities (all five sets but ambient).</summary>
    private static void GrantIdentityCapabilities(JsonObject config)
    {
        string[] caps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_KILL", "CAP_AUDIT_WRITE"];
        var list = new JsonArray(caps.Select(c => (JsonNode)JsonValue.Create(c)!).ToArray());
        config["process"]!["capabilities"] = new JsonObject
        {
            ["bounding"] = list.DeepClone(), ["effective"] = list.DeepClone(), ["permitted"] = list.DeepClone(),
        };
    }
}
