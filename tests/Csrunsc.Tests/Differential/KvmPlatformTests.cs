using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// The differential cases of the busybox shell and the static C programs again, with csrunsc on
/// the KVM platform (`--platform kvm`): same stdout and exit status as runc. Skipped with the
/// reason on hosts without a usable /dev/kvm.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class KvmPlatformTests(DifferentialFixture fixture)
{
    private (RunResult Runc, RunResult Kvm) Same(params string[] args) =>
        DifferentialAssert.SameStdoutAndExitOn(fixture.Runner, ContainerRunner.CsrunscKvm, null, args);

    [KvmPlatformFact]
    public void EchoHello() => Assert.Equal("hello\n", Same("echo", "hello").Runc.Stdout);

    [KvmPlatformFact]
    public void ShellListCatPidAndExitStatus()
    {
        var (runc, _) = Same("sh", "-c", "ls /; cat /etc/passwd; echo $$; exit 7");
        Assert.Equal(7, runc.ExitCode);
    }

    [KvmPlatformFact]
    public void PipelineOfForkedCommands()
    {
        var (runc, _) = Same("sh", "-c", "yes | head -n 20000 | md5sum; for i in 1 2 3; do echo $i; done | wc -l");
        Assert.Contains("3", runc.Stdout, StringComparison.Ordinal);
    }

    [KvmPlatformFact]
    public void PlatformBasics()
    {
        var (runc, _) = Same("/bin/platform_basics");
        Assert.Equal(5, runc.ExitCode);
        Assert.Contains("platform_basics: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }

    [KvmPlatformFact]
    public void SyscallsProgram()
    {
        var (runc, _) = Same("/bin/syscalls");
        Assert.Contains("syscalls: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }

    [KvmPlatformFact]
    public void ForkGivesPrivateCopiesOfEveryPage() => Assert.Equal("fork_cow: ok (0 failures)\n", Same("/bin/fork_cow").Runc.Stdout);

    [KvmPlatformFact]
    public void GetpidLoop() => Assert.Equal("getpid: 1000 calls\n", Same("sh", "-c", "/bin/getpid_loop 1000 | sed 's/, .*//'").Runc.Stdout);

    [KvmPlatformFact]
    public void ForkWhileOtherThreadsRun() => Assert.Equal("fork_threads: ok\n", Same("/bin/fork_threads", "500").Runc.Stdout); // fewer forks: a fork costs ~5 ms on kvm_pvm

    [KvmPlatformFact]
    public void ThreadsShareMemoryAndFutexes()
    {
        var (runc, _) = Same("/bin/threads_mutex_cond");
        Assert.Equal(0, runc.ExitCode);
    }
}
