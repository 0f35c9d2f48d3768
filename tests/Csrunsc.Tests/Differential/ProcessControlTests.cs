using System.Text.Json.Nodes;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// Process control as Linux has it, under runc and csrunsc (same stdout and exit status): job
/// control (tests/progs/jobctl.c and a shell's kill -STOP/-CONT), subreapers and init reaping
/// (subreaper.c), the set*id rules and their capability effects as root and as a user (creds.c),
/// resource limits (rlimits.c) including a fork under a pids cgroup limit.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class ProcessControlTests(DifferentialFixture fixture)
{
    private static void AsUser(JsonObject config) => config["process"]!["user"] = new JsonObject { ["uid"] = 4321, ["gid"] = 1234 };

    /// <summary>Root with CAP_SETUID, CAP_SETGID and CAP_CHOWN on top of runc's default set.</summary>
    private static void RootWithSetid(JsonObject config)
    {
        var caps = (JsonObject)config["process"]!["capabilities"]!;
        foreach (var set in new[] { "bounding", "effective", "permitted" })
        {
            var list = (JsonArray)caps[set]!;
            foreach (var c in new[] { "CAP_SETUID", "CAP_SETGID", "CAP_CHOWN" }) list.Add((JsonNode)JsonValue.Create(c)!);
        }
    }

    [RootRequiredFact]
    public void StopContinueAndWaitReports()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/jobctl");
        Assert.Contains("jobctl: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void ShellStopsAndContinuesABackgroundJob()
    {
        const string script =
            "sleep 10 & p=$!; kill -STOP $p; sleep 0.3; grep State /proc/$p/status; " +
            "kill -CONT $p; sleep 0.3; grep State /proc/$p/status; kill $p; wait $p; echo exit=$?";
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "sh", "-c", script);
        Assert.Equal("State:\tT (stopped)\nState:\tS (sleeping)\nexit=143\n", runc.Stdout);
    }

    [RootRequiredFact]
    public void OrphansGoToTheSubreaperOrInit()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/subreaper");
        Assert.Contains("subreaper: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void SetidRulesAndCapabilitiesAsRoot()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, RootWithSetid, "/bin/creds", "root");
        Assert.Contains("ok   setresuid(-1,0,-1) back to the saved uid 0 = 0\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("creds: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void SetidRulesAsAnUnprivilegedUser()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, AsUser, "/bin/creds", "user");
        Assert.Contains("creds: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// tests/progs/nnp.c with noNewPrivileges false: PR_SET_NO_NEW_PRIVS in one thread is not seen
    /// by its siblings (prctl, /proc/self/task/TID/status), is inherited by clone and fork, kept
    /// across execve, gates seccomp per thread and travels with a TSYNC filter.
    /// </summary>
    [RootRequiredFact]
    public void NoNewPrivsIsPerTask()
    {
        static void Off(JsonObject config) => config["process"]!["noNewPrivileges"] = false;
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, Off, "/bin/nnp");
        Assert.Contains("ok   main after a sibling set it: PR_GET_NO_NEW_PRIVS = 0\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("nnp: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// tests/progs/pdeathsig.c: PR_SET_PDEATHSIG fires when the forking thread exits (not only the
    /// process), with SI_USER and the parent's pid; it is kept across a plain execve and unchanged
    /// set*id calls, cleared by a change of effective/fs ids and by an execve with euid != uid (AT_SECURE).
    /// </summary>
    [RootRequiredFact]
    public void ParentDeathSignalFollowsTheForkingThreadAndCredentials()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, RootWithSetid, "/bin/pdeathsig");
        Assert.Contains("ok   thread-forked child: killed by its pdeath SIGUSR1 = 10\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("pdeathsig: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// tests/progs/rlimit_sig.c as an unprivileged user: RLIMIT_SIGPENDING (per-user count, one held by each POSIX timer; EAGAIN for
    /// queued real-time signals beyond it, kill() and standard signals delivered without siginfo),
    /// RLIMIT_MEMLOCK (mlock/mlock2/mlockall/MAP_LOCKED: ENOMEM/EAGAIN beyond it, EPERM at 0, VmLck),
    /// RLIMIT_STACK (round trip, the stack grows to the limit in force at exec and no further).
    /// </summary>
    [RootRequiredFact]
    public void SigpendingMemlockAndStackLimits()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, AsUser, "/bin/rlimit_sig");
        Assert.Contains("ok   sigqueue rt beyond the limit = -11\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("ok   mlock a 17th page = -12\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("ok   64 MiB limit, 16 MiB deep (the stack grows past 8 MiB) = 0\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("rlimit_sig: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void ResourceLimitsEnforced()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/rlimits");
        Assert.Contains("rlimits: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// tests/progs/rlimit_cpu.c: SIGXCPU at the soft limit and again each further CPU second (the
    /// soft limit moving up, as getrlimit shows), SIGKILL at the hard one, SIGXCPU's default action,
    /// the limit inherited across fork. About 6 s of CPU time in all.
    /// </summary>
    [RootRequiredFact]
    public void CpuTimeLimitSignals()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/rlimit_cpu");
        Assert.Contains("SIGXCPU 2: SI_KERNEL 1, rlim_cur now 3\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("rlimit_cpu: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void ResourceLimitsForAnUnprivilegedUser()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, AsUser, "/bin/rlimits", "user");
        Assert.Contains("ok   fork over NPROC = -11\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("rlimits: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void ForkUnderAPidsLimitAnswersEagain()
    {
        static void PidsLimit(JsonObject config) =>
            ((JsonObject)config["linux"]!["resources"]!)["pids"] = new JsonObject { ["limit"] = 96 };
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, PidsLimit, "/bin/rlimits", "pids");
        Assert.Contains("rlimits: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }
}
