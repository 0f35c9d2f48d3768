using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// Guest ptrace, emulated by the Sentry, against runc (tests/progs/ptrace.c): TRACEME+exec counting
/// syscalls, SETREGS changing a result, SYSEMU, PEEK/POKE and a text breakpoint, SINGLESTEP,
/// ATTACH/DETACH, SEIZE/INTERRUPT/LISTEN, TRACEFORK, EXITKILL, process_vm_readv/writev — the same
/// output (every wait status word) and exit status.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class PtraceTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void TracerSeesStopsRegistersAndMemoryAsOnLinux()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/ptrace");
        Assert.Contains("ok   traceme: getpid syscall-enter-stops = 0x5\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("ok   seized: group-stop as PTRACE_EVENT_STOP = 0x80137f\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("ptrace: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }
}
