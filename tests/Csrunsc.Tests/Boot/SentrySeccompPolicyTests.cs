using Csrunsc.Gofer.Server;
using Csrunsc.Sentry.Boot.HostSeccomp;
using Csrunsc.Tests.Gofer;
using Xunit;

namespace Csrunsc.Tests.Boot;

/// <summary>The Sentry's own host filter (opt-in), run in the classic-BPF interpreter of <see cref="GoferSeccompPolicyTests"/>.</summary>
public sealed class SentrySeccompPolicyTests
{
    private const uint X86 = SeccompFilter.AUDIT_ARCH_X86_64;
    private const uint Allow = SeccompFilter.SECCOMP_RET_ALLOW;
    private const uint Kill = SeccompFilter.SECCOMP_RET_KILL_PROCESS;
    private static readonly SockFilter[] Enforce = SentrySeccompPolicy.BuildProgram(network: true, logOnly: false);
    private static readonly SockFilter[] NoNetwork = SentrySeccompPolicy.BuildProgram(network: false, logOnly: false);

    private static uint Run(SockFilter[] p, int nr, params long[] args) => GoferSeccompPolicyTests.Run(p, X86, nr, args);

    [Fact]
    public void AViolationKillsAndLogModeOnlyLogs()
    {
        Assert.Equal(Kill, Run(Enforce, 165 /* mount */));
        Assert.Equal(Kill, Run(Enforce, 272 /* unshare */));
        Assert.Equal(Kill, Run(Enforce, 161 /* chroot */));
        Assert.Equal(SeccompFilter.SECCOMP_RET_LOG, Run(SentrySeccompPolicy.BuildProgram(true, logOnly: true), 165));
        Assert.Equal(Allow, Run(Enforce, 0 /* read */));
    }

    [Fact]
    public void PtraceOnlyThePlatformsRequests()
    {
        Assert.Equal(Allow, Run(Enforce, 101, 31 /* PTRACE_SYSEMU */, 1234));
        Assert.Equal(Allow, Run(Enforce, 101, 0x4206 /* PTRACE_SEIZE */, 1234));
        Assert.Equal(Kill, Run(Enforce, 101, 16 /* PTRACE_ATTACH: never used, SEIZE is */));
        Assert.Equal(Kill, Run(Enforce, 101, 0x420c /* PTRACE_SECCOMP_GET_FILTER */));
    }

    [Fact]
    public void NoExecutableMappingsExceptTheStubsGuestMemory()
    {
        Assert.Equal(Allow, Run(Enforce, 9, 0, 4096, 3 /* RW */, 0x22, -1, 0));
        Assert.Equal(Kill, Run(Enforce, 9, 0, 4096, 7 /* RWX */, 0x22 /* private anonymous */, -1, 0));
        Assert.Equal(Allow, Run(Enforce, 9, 0x10000, 65536, 5 /* RX */, 0x11 /* MAP_SHARED|MAP_FIXED */, 3, 0));
        Assert.Equal(Kill, Run(Enforce, 9, 0x10000, 65536, 5, 0x11, 4, 0));
        Assert.Equal(Kill, Run(Enforce, 10, 0x10000, 4096, 5 /* mprotect to RX */));
    }

    [Fact]
    public void FutexCloneIoctlAndSocketArguments()
    {
        Assert.Equal(Allow, Run(Enforce, 202, 0, 128 /* FUTEX_WAIT_PRIVATE */));
        Assert.Equal(Kill, Run(Enforce, 202, 0, 6 /* FUTEX_LOCK_PI */));
        Assert.Equal(Allow, Run(Enforce, 56, 0x3d0f00 /* pthread_create */));
        Assert.Equal(Allow, Run(Enforce, 56, 0x4111 /* posix_spawn's vfork */));
        Assert.Equal(Kill, Run(Enforce, 56, 0x11 /* fork */));
        Assert.Equal(SeccompFilter.SECCOMP_RET_ERRNO | Csrunsc.Native.Errno.ENOSYS, Run(Enforce, 435));
        Assert.Equal(Allow, Run(Enforce, 16, 0, 0x5401 /* TCGETS */));
        Assert.Equal(Allow, Run(Enforce, 16, 0, 0x8913 /* SIOCGIFFLAGS */));
        Assert.Equal(Kill, Run(Enforce, 16, 0, 0xAE01 /* KVM_CREATE_VM */));
        Assert.Equal(Allow, Run(Enforce, 41, 2 /* AF_INET */));
        Assert.Equal(Kill, Run(NoNetwork, 41, 2));
        Assert.Equal(Allow, Run(NoNetwork, 41, 1 /* AF_UNIX */));
        Assert.Equal(Kill, Run(Enforce, 41, 38 /* AF_ALG */));
    }

    [Fact]
    public void PolicyHasNoDuplicatesAndFitsTheKernelLimit()
    {
        var all = SentrySeccompPolicy.Names.ToList();
        Assert.Equal(all.Count, all.Select(s => s.nr).Distinct().Count());
        Assert.True(Enforce.Length < 4096);
    }
}
