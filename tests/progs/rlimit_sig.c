/* rlimit_sig: RLIMIT_SIGPENDING, RLIMIT_MEMLOCK and RLIMIT_STACK as Linux enforces them, run as an
 * unprivileged user (no CAP_IPC_LOCK, no CAP_SYS_RESOURCE).
 * SIGPENDING: queued signals are counted per real user; over the limit sigqueue/tgsigqueueinfo of
 * a real-time signal fail with EAGAIN, kill() of one and sigqueue of a standard signal still
 * deliver it but without siginfo (SI_USER, pid 0); a forked process of the same user shares the count;
 * each POSIX timer holds one from timer_create (EAGAIN beyond the limit) to timer_delete.
 * MEMLOCK: mlock/mlock2/mlockall/MAP_LOCKED within the limit succeed, beyond it ENOMEM (EAGAIN for
 * MAP_LOCKED), with a zero limit EPERM; munlock gives the pages back; VmLck in /proc/self/status.
 * STACK: getrlimit/setrlimit round trip; stack growth is bounded by the soft limit (SIGSEGV).
 * Deterministic output; exit 0 when all checks pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(const char *what, long got, long want)
{
    if (got == want) {
        printf("ok   %s = %ld\n", what, got);
    } else {
        printf("FAIL %s = %ld (want %ld)\n", what, got, want);
        failures++;
    }
    fflush(stdout);
}

static long res(long r) { return r < 0 ? -errno : r; }

static long queue(int sig, int v)
{
    union sigval sv = { .sival_int = v };
    return res(sigqueue(getpid(), sig, sv));
}

static siginfo_t take(int sig)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    struct timespec ts = { 1, 0 };
    if (sigtimedwait(&s, &si, &ts) < 0) si.si_signo = -errno;
    return si;
}

/* The user's RLIMIT_SIGPENDING count as /proc/self/status's SigQ shows it. */
static long sigq_count(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "SigQ: %ld/", &v) == 1) break;
    if (f) fclose(f);
    return v;
}

static void sigpending_limit(void)
{
    int rt = SIGRTMIN;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, rt);
    sigaddset(&s, rt + 1);
    sigaddset(&s, rt + 2);
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGUSR2);
    sigprocmask(SIG_BLOCK, &s, NULL);
    struct rlimit rl = { 4, 4 };
    check("setrlimit SIGPENDING 4", res(setrlimit(RLIMIT_SIGPENDING, &rl)), 0);
    struct rlimit back;
    getrlimit(RLIMIT_SIGPENDING, &back);
    check("getrlimit SIGPENDING", (long)back.rlim_cur, 4);
    for (int i = 0; i < 4; i++) check("sigqueue rt within the limit", queue(rt, 100 + i), 0);
    check("sigqueue rt beyond the limit", queue(rt, 200), -EAGAIN);
    check("sigqueue rt+2 beyond the limit", queue(rt + 2, 201), -EAGAIN);
    check("tgsigqueueinfo beyond the limit", ({
        siginfo_t si; memset(&si, 0, sizeof si);
        si.si_code = SI_QUEUE; si.si_pid = getpid(); si.si_uid = getuid();
        res(syscall(SYS_rt_tgsigqueueinfo, getpid(), getpid(), rt, &si)); }), -EAGAIN);
    check("tkill of rt beyond the limit", res(syscall(SYS_tgkill, getpid(), getpid(), rt + 2)), -EAGAIN);
    check("kill() of rt beyond the limit still succeeds", res(kill(getpid(), rt + 1)), 0);
    check("sigqueue of a standard signal beyond the limit succeeds", queue(SIGUSR1, 300), 0);
    check("kill() of a standard signal beyond the limit succeeds", res(kill(getpid(), SIGUSR2)), 0);

    /* A child of the same user shares the count (it starts with nothing pending). */
    pid_t c = fork();
    if (c == 0) _exit(queue(rt, 1) == -EAGAIN ? 0 : 1);
    int st;
    waitpid(c, &st, 0);
    check("forked child of the same user: sigqueue EAGAIN", WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);

    siginfo_t si = take(SIGUSR1);
    check("standard signal over the limit: taken", si.si_signo, SIGUSR1);
    check("  its siginfo lost: si_code SI_USER", si.si_code, SI_USER);
    check("  si_pid 0", si.si_pid, 0);
    si = take(SIGUSR2);
    check("kill() standard signal over the limit (overrides): si_code SI_USER", si.si_code, SI_USER);
    check("  si_pid is the sender", si.si_pid == getpid(), 1);
    si = take(rt + 1);
    check("rt from kill() over the limit: taken", si.si_signo, rt + 1);
    check("  its siginfo lost: si_pid 0", si.si_pid, 0);
    for (int i = 0; i < 4; i++) {
        si = take(rt);
        check("rt queued within the limit: its value", si.si_value.sival_int, 100 + i);
    }
    check("no fifth instance", take(rt).si_signo, -EAGAIN);
    check("after taking them, sigqueue works again", queue(rt, 7), 0);
    check("  and delivers its value", take(rt).si_value.sival_int, 7);
    /* A POSIX timer holds one slot from timer_create to timer_delete (its preallocated sigqueue). */
    long held = sigq_count();
    rl.rlim_cur = rl.rlim_max = held + 2;
    setrlimit(RLIMIT_SIGPENDING, &rl);
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_NONE;
    timer_t t1, t2, t3;
    check("timer_create within the limit", res(timer_create(CLOCK_MONOTONIC, &ev, &t1)), 0);
    check("a second timer_create within the limit", res(timer_create(CLOCK_MONOTONIC, &ev, &t2)), 0);
    check("timer_create beyond the limit", res(timer_create(CLOCK_MONOTONIC, &ev, &t3)), -EAGAIN);
    check("sigqueue rt while two timers hold the slots", queue(rt, 1), -EAGAIN);
    check("timer_delete", res(timer_delete(t1)), 0);
    check("after timer_delete: sigqueue rt", queue(rt, 8), 0);
    check("  and its value", take(rt).si_value.sival_int, 8);
    check("after timer_delete: timer_create", res(timer_create(CLOCK_MONOTONIC, &ev, &t3)), 0);
    timer_delete(t2);
    timer_delete(t3);
    rl.rlim_cur = rl.rlim_max = 0;
    setrlimit(RLIMIT_SIGPENDING, &rl);
    check("limit 0: sigqueue rt", queue(rt, 1), -EAGAIN);
    check("limit 0: kill() of a standard signal", res(kill(getpid(), SIGUSR1)), 0);
    check("  taken, sender known (override)", take(SIGUSR1).si_pid == getpid(), 1);

    sigprocmask(SIG_UNBLOCK, &s, NULL);
}

static long vmlck_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmLck: %ld", &v) == 1) break;
    if (f) fclose(f);
    return v;
}

static void memlock_limit(void)
{
    long page = 4096;
    struct rlimit rl = { 16 * page, 16 * page };
    check("setrlimit MEMLOCK 64 KiB", res(setrlimit(RLIMIT_MEMLOCK, &rl)), 0);
    char *a = mmap(NULL, 64 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check("mlock 8 pages", res(mlock(a, 8 * page)), 0);
    check("VmLck after", vmlck_kb(), 32);
    check("mlock the same 8 pages again (already counted)", res(mlock(a, 8 * page)), 0);
    check("mlock 8 more", res(mlock(a + 8 * page, 8 * page)), 0);
    check("msync MS_INVALIDATE of locked pages", res(msync(a, page, MS_ASYNC | MS_INVALIDATE)), -EBUSY);
    check("madvise DONTNEED of locked pages", res(madvise(a, page, MADV_DONTNEED)), -EINVAL);
    check("mlock a 17th page", res(mlock(a + 16 * page, page)), -ENOMEM);
    check("mlock2 a 17th page", res(syscall(SYS_mlock2, a + 16 * page, page, 0)), -ENOMEM);
    check("mlock2 bad flags", res(syscall(SYS_mlock2, a, page, 2)), -EINVAL);
    check("VmLck at the limit", vmlck_kb(), 64);
    check("munlock 4 pages", res(munlock(a + 4 * page, 4 * page)), 0);
    check("VmLck after munlock", vmlck_kb(), 48);
    check("mlock 4 others now fits", res(mlock(a + 16 * page, 4 * page)), 0);
    check("munmap a locked range gives it back", res(munmap(a, 4 * page)), 0);
    check("VmLck after munmap", vmlck_kb(), 48);
    check("mlock an unmapped range", res(mlock(a, page)), -ENOMEM);
    check("MAP_LOCKED beyond the limit", mmap(NULL, 8 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0) == MAP_FAILED ? -errno : 0, -EAGAIN);
    check("munlockall", res(munlockall()), 0);
    check("VmLck after munlockall", vmlck_kb(), 0);
    char *m = mmap(NULL, 8 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
    check("MAP_LOCKED within the limit", m == MAP_FAILED ? -errno : 0, 0);
    check("VmLck with it", vmlck_kb(), 32);
    check("mlockall(MCL_CURRENT) of everything beyond the limit", res(mlockall(MCL_CURRENT)), -ENOMEM);
    check("mlockall(0)", res(mlockall(0)), -EINVAL);
    check("mlockall(MCL_ONFAULT) alone", res(mlockall(MCL_ONFAULT)), -EINVAL);
    check("munlockall", res(munlockall()), 0);
    rl.rlim_cur = rl.rlim_max = 0;
    setrlimit(RLIMIT_MEMLOCK, &rl);
    check("limit 0: mlock", res(mlock(m, page)), -EPERM);
    check("limit 0: mlockall", res(mlockall(MCL_CURRENT)), -EPERM);
    check("limit 0: MAP_LOCKED", mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0) == MAP_FAILED ? -errno : 0, -EPERM);
    check("limit 0: munlock", res(munlock(m, page)), 0);
}

static volatile char *sink;

/* Uses about depth * 4 KiB of stack. */
static int recurse(int depth)
{
    volatile char buf[4000];
    buf[0] = (char)depth;
    sink = buf;
    return depth == 0 ? 0 : recurse(depth - 1) + buf[0];
}

/* In a child: sets the soft stack limit, execs "rlimit_sig stack KIB" (which recurses that deep); returns its wait status summary. */
static long stack_run(rlim_t limit, int kib)
{
    pid_t c = fork();
    if (c == 0) {
        struct rlimit rl;
        getrlimit(RLIMIT_STACK, &rl);
        rl.rlim_cur = limit;
        if (setrlimit(RLIMIT_STACK, &rl) < 0) _exit(90);
        char arg[16];
        snprintf(arg, sizeof arg, "%d", kib);
        execl("/proc/self/exe", "rlimit_sig", "stack", arg, (char *)NULL);
        _exit(91);
    }
    int st;
    waitpid(c, &st, 0);
    return WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st);
}

static void stack_limit(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_STACK, &rl);
    struct rlimit nl = { 2 << 20, rl.rlim_max };
    check("setrlimit STACK 2 MiB", res(setrlimit(RLIMIT_STACK, &nl)), 0);
    struct rlimit back;
    getrlimit(RLIMIT_STACK, &back);
    check("getrlimit STACK cur", (long)back.rlim_cur, 2 << 20);
    check("getrlimit STACK max unchanged", back.rlim_max == rl.rlim_max, 1);
    check("1 MiB limit, 512 KiB deep", stack_run(1 << 20, 512), 0);
    check("1 MiB limit, 4 MiB deep: SIGSEGV", stack_run(1 << 20, 4096), -SIGSEGV);
    check("64 MiB limit, 16 MiB deep (the stack grows past 8 MiB)", stack_run(64 << 20, 16384), 0);
    check("64 MiB limit, 100 MiB deep: SIGSEGV", stack_run(64 << 20, 102400), -SIGSEGV);
    nl.rlim_cur = nl.rlim_max = 4 << 20;
    check("lower the hard limit to 4 MiB", res(setrlimit(RLIMIT_STACK, &nl)), 0);
    nl.rlim_cur = nl.rlim_max = 8 << 20;
    check("raise it again without CAP_SYS_RESOURCE", res(setrlimit(RLIMIT_STACK, &nl)), -EPERM);
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "stack") == 0) return recurse(atoi(argv[2]) / 4) & 0;
    check("running as a user", getuid() != 0, 1);
    sigpending_limit();
    memlock_limit();
    stack_limit();
    printf("rlimit_sig: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
