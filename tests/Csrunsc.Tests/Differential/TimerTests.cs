using Csrunsc.Tests.Workloads;
using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// Timers and clocks as Linux has them: tests/progs/timers.c (alarm, itimers, POSIX timers,
/// timerfd, signalfd, sigtimedwait, interrupted sleeps, CPU accounting), busybox's and coreutils'
/// `timeout`, python's signal.alarm/setitimer/sigtimedwait. Same stdout and exit status as runc.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class TimerTests(DifferentialFixture fixture)
{
    // The programs run below a shell, not as the container's init: init drops signals it does not
    // handle (blocked ones included, in the Sentry for now), and these tests wait for blocked signals.

    [RootRequiredFact]
    public void TimersProgram()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "sh", "-c", "/bin/timers; exit $?");
        Assert.Contains("timers: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// tests/progs/restart.c: a SIGSTOP/SIGCONT without a handler in the middle of nanosleep,
    /// clock_nanosleep (relative, absolute, CPU clock) and poll resumes the sleep to its first
    /// deadline (restart_syscall); a handler, even SA_RESTART, gives EINTR.
    /// </summary>
    [RootRequiredFact]
    public void InterruptedSleepsRestart()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "sh", "-c", "/bin/restart; exit $?");
        Assert.Contains("restart: ok (0 failures)", runc.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// A signal pending while blocked is delivered by the wait whose temporary mask unblocks it
    /// (sigsuspend, ppoll, pselect6, epoll_pwait), also the second of two signals held back by the
    /// first handler's sa_mask (tests/progs/signal_wait.c; gVisor's JobControlTest.ReleaseTTYSignals hung on it).
    /// </summary>
    [RootRequiredFact]
    public void PendingSignalsUnblockedByWaitMask()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "/bin/signal_wait");
        Assert.Contains("sigsuspend: two signals sent while waiting: exit=2 (waits)", runc.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// busybox's timeout execs the program and signals it from a forked watcher, so the shell sees
    /// the program killed by the signal (143 for TERM, 137 for KILL), not coreutils' 124.
    /// </summary>
    [RootRequiredFact]
    public void BusyboxTimeout()
    {
        var (runc, _) = DifferentialAssert.SameStdoutAndExit(fixture.Runner, "sh", "-c",
            "timeout 1 sleep 5; echo $?; timeout -s KILL 1 sleep 5; echo $?; timeout 5 true; echo $?");
        Assert.Equal("143\n137\n0\n", runc.Stdout);
    }

    /// <summary>coreutils' timeout arms a POSIX timer (timer_create on CLOCK_REALTIME) and waits in sigsuspend.</summary>
    [RootRequiredFact]
    public void CoreutilsTimeout()
    {
        var (runc, _) = WorkloadAssert.SameBashOutput(fixture, """
            timeout 1 sleep 5; echo $?
            timeout -s KILL 1 sleep 5; echo $?
            timeout 0.2 sleep 5; echo $?
            timeout 5 true; echo $?
            timeout --preserve-status -s USR1 0.2 sleep 5; echo $?
            """);
        Assert.Equal("124\n137\n124\n0\n138\n", runc.Stdout);
    }

    [RootRequiredFact]
    public void PythonAlarmSetitimerSigtimedwait()
    {
        var (runc, _) = WorkloadAssert.SameStdoutAndExit(fixture, ["bash", "-c", "python3 -c \"$1\"; exit $?", "bash", """
            import signal, time, os
            got = []
            signal.signal(signal.SIGALRM, lambda s, f: got.append(s))
            print("alarm returns", signal.alarm(1))
            signal.pause()
            print("alarm fired", got == [signal.SIGALRM])
            signal.setitimer(signal.ITIMER_REAL, 0.05, 0.05)
            t0 = time.monotonic()
            while len(got) < 4 and time.monotonic() - t0 < 5: signal.pause()
            v, i = signal.setitimer(signal.ITIMER_REAL, 0)
            print("setitimer periodic", len(got) >= 4, "interval", round(i, 3))
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
            os.kill(os.getpid(), signal.SIGUSR1)
            info = signal.sigtimedwait([signal.SIGUSR1], 1)
            print("sigtimedwait", info.si_signo == signal.SIGUSR1, info.si_pid == os.getpid())
            print("sigtimedwait timeout", signal.sigtimedwait([signal.SIGUSR1], 0.05))
            got.clear()
            signal.signal(signal.SIGVTALRM, lambda s, f: got.append(s))
            signal.setitimer(signal.ITIMER_VIRTUAL, 0.1)
            t0 = time.monotonic()
            while not got and time.monotonic() - t0 < 10: sum(range(10000))
            print("ITIMER_VIRTUAL fired", got == [signal.SIGVTALRM])
            print("process_time moves", time.process_time() > 0.05)
            """]);
        Assert.Contains("alarm fired True\nsetitimer periodic True interval 0.05\n", runc.Stdout, StringComparison.Ordinal);
        Assert.Contains("ITIMER_VIRTUAL fired True\n", runc.Stdout, StringComparison.Ordinal);
    }
}
