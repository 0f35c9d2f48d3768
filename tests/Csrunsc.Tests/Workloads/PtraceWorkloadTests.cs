using Csrunsc.Tests.Differential;
using Xunit;

namespace Csrunsc.Tests.Workloads;

/// <summary>
/// Real tracers inside the container, on the Sentry's guest ptrace: Debian's strace (its seize
/// start-up, PTRACE_GET_SYSCALL_INFO, -f following forks, -c, syscall fault injection) and a gdb
/// batch run with a breakpoint. Same output and exit status as under runc.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class PtraceWorkloadTests(DifferentialFixture fixture)
{
    [RootRequiredFact]
    public void StraceTracesEchoForksAndInjects()
    {
        DebianBundle.RequireProgram("strace", "strace");
        var (runc, _) = WorkloadAssert.SameBashOutput(fixture, """
            strace -e trace=write echo hi 2>&1; echo rc=$?
            strace -f -qq -e trace=openat,exit_group -e signal=none sh -c 'true; cat /dev/null' 2>&1 | sed 's/^\[pid *[0-9]*\] //'; echo rc=$?
            strace -f -e trace=write -e signal=none sh -c 'echo a; (echo b) ; echo c >&2' 2>&1 | sed -E 's/[0-9]+/N/g' | sort; echo rc=$?
            strace -c -o /dev/null true; echo rc=$?
            strace -e trace=none -e signal=none sh -c 'exit 3' 2>&1; echo rc=$?
            strace -e inject=getpid:retval=42 -e trace=getpid sh -c 'echo $$' 2>&1 | head -3; echo rc=$?
            """);
        Assert.StartsWith("write(1, \"hi\\n\", 3hi\n)", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("getpid()                                = 42 (INJECTED)\n42\n", runc.Stdout, StringComparison.Ordinal);
    }

    [RootRequiredFact]
    public void GdbStopsAtABreakpointAndReadsArguments()
    {
        DebianBundle.RequireProgram("gdb", "gdb");
        DebianBundle.RequireProgram("gcc", "gcc");
        var (runc, _) = WorkloadAssert.SameBashOutput(fixture, """
            printf 'int f(int x){return x*2;}\nint main(){int s=0;for(int i=0;i<3;i++)s+=f(i);return s;}\n' > /tmp/p.c; gcc -g -O0 -o /tmp/p /tmp/p.c
            gdb -q -nx -batch -ex 'break f' -ex run -ex 'print x' -ex continue -ex 'print x' -ex 'bt' -ex 'delete' -ex continue /tmp/p 2>&1 | grep -v '^\[\|libthread\|^$\|^Download\|debuginfod'
            echo rc=$?
            """);
        Assert.Contains("Breakpoint 1, f (x=1) at /tmp/p.c:1\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("$2 = 1\n", runc.Stdout, StringComparison.Ordinal);
    }
}
