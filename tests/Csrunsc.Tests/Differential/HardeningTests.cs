using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// Guest tricks that once crashed or wedged the Sentry, or that it answered unlike Linux
/// (tests/progs/hardening.c): the same lines as under runc, and the sandbox ends normally.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class HardeningTests(DifferentialFixture fixture)
{
    [RootRequiredTheory]
    [InlineData("farjump")]   // 32-bit code faulting on a fresh page wedged the tracer at 100% CPU
    [InlineData("int80")]     // int 0x80 was dispatched as a 64-bit call of the 32-bit registers
    [InlineData("vsyscall")]  // a vsyscall-page call killed the guest with SIGSYS
    [InlineData("trapflag")]  // TF stayed set in the signal handler
    [InlineData("mmaphint")]  // a hint whose range wrapped left a VMA with start > end
    [InlineData("stubrange")] // nothing above TASK_SIZE (where the stub lives) can be mapped, changed or unmapped
    public void GuestTrickIsAnsweredAsLinux(string trick)
    {
        var (runc, cs) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/hardening", trick);
        Assert.EndsWith($"hardening {trick}: ok (0 failures)\n", runc.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Sentry bug", cs.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("answered EIO", cs.Stderr, StringComparison.Ordinal);
    }
}
