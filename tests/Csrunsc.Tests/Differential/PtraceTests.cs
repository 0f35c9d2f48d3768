using System.Text.Json.Nodes;
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

    /// <summary>
    /// tests/progs/ptrace_attach.c, pid 1 of the container as the tracee of its own child (gVisor's
    /// AttachParent_PeekData_PokeData_SignalSuppression hung: init dropped the attach's SIGSTOP):
    /// PTRACE_ATTACH's SIGSTOP (SI_KERNEL) reaches the tracee, the tracer's waitpid sees the stop,
    /// PEEK/POKEDATA on anonymous and shared file memory, DETACH 0 suppresses the stop; a group-stopped
    /// child reports its group stop on attach (GETSIGINFO EINVAL). CAP_SYS_PTRACE: attaching to a
    /// parent passes the Sentry's Yama-scope-1 descendant rule (the host here has no Yama).
    /// </summary>
    [RootRequiredFact]
    public void AttachStopsTheTraceeEvenInit()
    {
        static void Ptrace(JsonObject config)
        {
            var caps = (JsonObject)config["process"]!["capabilities"]!;
            foreach (var set in new[] { "bounding", "effective", "permitted" })
                ((JsonArray)caps[set]!).Add((JsonNode)JsonValue.Create("CAP_SYS_PTRACE")!);
        }
        var (runc, _) = DifferentialAssert.SameStdoutAndExitWith(fixture.Runner, Ptrace, "/bin/ptrace_attach");
        Assert.Contains("ok   attach parent: POKEDATA into anonymous memory = 20\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("ptrace_attach: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }
}
