using Csrunsc.Tests.Differential;
using Xunit;

namespace Csrunsc.Tests.Workloads;

/// <summary>
/// Real tracers inside the container, on the Sentry's guest ptrace: Debian's strace (its seize
/// start-up, PTRACE_GET_SYSCALL_INFO, -f following forks, -c, syscall fault injection) and a gdb
/// batch run with a breakpoint, and AddressSanitizer's LeakSanitizer, whose exit-time check is a
/// tracer process that attaches to every thread of its parent (allowed by PR_SET_PTRACER under
/// Yama's rules). Same output and exit status as under runc.
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

    [RootRequiredFact]
    public void AddressSanitizerReportsLeaksAcrossThreadsAndAUseAfterFree()
    {
        DebianBundle.RequireProgram("gcc", "gcc");
        var (runc, _) = WorkloadAssert.SameBashOutput(fixture, """
            cat > /tmp/leak.c <<'C'
            #include <pthread.h>
            #include <stdlib.h>
            #include <unistd.h>
            static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
            static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
            static void *volatile kept;
            static void *worker(void *arg) { kept = malloc(33); kept = 0; pthread_mutex_lock(&m); for (;;) pthread_cond_wait(&c, &m); return arg; }
            int main(void) { pthread_t t[3]; for (int i = 0; i < 3; i++) pthread_create(&t[i], 0, worker, 0); usleep(200000); kept = malloc(77); kept = 0; return 0; }
            C
            printf '#include <stdlib.h>\nint main(void){char *p=malloc(8);free(p);return p[3];}\n' > /tmp/uaf.c
            gcc -g -O0 -fsanitize=address -pthread -o /tmp/leak /tmp/leak.c && gcc -g -O0 -fsanitize=address -o /tmp/uaf /tmp/uaf.c; echo cc=$?
            /tmp/leak 2>&1 | grep -E 'ERROR: LeakSanitizer|^Direct leak|^SUMMARY|fatal' | sed -E 's/==[0-9]+==/==N==/' | sort; echo rc=${PIPESTATUS[0]}
            /tmp/uaf 2>&1 | grep -E '^==[0-9]+==ERROR|^READ of size|^SUMMARY' | sed -E 's/==[0-9]+==/==N==/; s/0x[0-9a-f]+/ADDR/g; s/ (pc|bp|sp) ADDR//g; s/ T[0-9]+$//'; echo rc=${PIPESTATUS[0]}
            """);
        Assert.Contains("Direct leak of 77 byte(s) in 1 object(s) allocated from:\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("Direct leak of 99 byte(s) in 3 object(s) allocated from:\n", runc.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("fatal", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("ERROR: AddressSanitizer: heap-use-after-free", runc.Stdout, StringComparison.Ordinal);
    }
}
