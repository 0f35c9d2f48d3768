/* subreaper: where orphans go, as Linux decides - to the nearest living ancestor that set
 * PR_SET_CHILD_SUBREAPER, else to the pid namespace's init (this program, pid 1 in the container),
 * which reaps them; a zombie orphan is reported to its new parent; PR_SET_PDEATHSIG fires when the
 * parent exits; a process group orphaned with a stopped member gets SIGHUP+SIGCONT.
 * Deterministic output; exit 0 when all checks pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
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

static void msleep(int ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

static volatile int got_usr2;
static void on_usr2(int sig) { (void)sig; got_usr2 = 1; }

/* Grandchild reports its parent pid after its parent has exited, through a pipe. */
static pid_t orphan_ppid(int *grandchild)
{
    int p[2];
    pipe(p);
    pid_t mid = fork();
    if (mid == 0) {
        pid_t self = getpid();
        pid_t g = fork();
        if (g == 0) {
            while (getppid() == self) msleep(5); /* until re-parented */
            pid_t pp = getppid();
            write(p[1], &pp, sizeof(pp));
            msleep(100);
            _exit(3);
        }
        write(p[1], &g, sizeof(g));
        _exit(0);
    }
    int st;
    waitpid(mid, &st, 0);
    pid_t g, pp;
    read(p[0], &g, sizeof(g));
    read(p[0], &pp, sizeof(pp));
    close(p[0]);
    close(p[1]);
    *grandchild = g;
    return pp;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int v = -1;
    check("PR_GET_CHILD_SUBREAPER initially", res(prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0)), 0);
    check("  value", v, 0);
    check("am init (pid 1)", getpid(), 1);

    /* Without a subreaper, an orphan goes to init, and init reaps it. */
    int g, st;
    pid_t pp = orphan_ppid(&g);
    check("orphan re-parented to init", pp, 1);
    check("init reaps the orphan", res(waitpid(g, &st, 0)) == g && WIFEXITED(st) && WEXITSTATUS(st) == 3, 1);

    /* A subreaper child: the orphans of its descendants come to it. */
    int p[2];
    pipe(p);
    pid_t sub = fork();
    if (sub == 0) {
        failures = 0;
        check("PR_SET_CHILD_SUBREAPER", res(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)), 0);
        v = -1;
        prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0);
        check("  PR_GET_CHILD_SUBREAPER", v, 1);
        int g2;
        pid_t pp2 = orphan_ppid(&g2);
        check("orphan re-parented to the subreaper", pp2 == getpid(), 1);
        check("subreaper reaps it", res(waitpid(g2, &st, 0)) == g2 && WIFEXITED(st) && WEXITSTATUS(st) == 3, 1);

        /* A zombie orphan: its parent exits without waiting; the subreaper gets it. */
        pid_t mid = fork();
        if (mid == 0) {
            pid_t z = fork();
            if (z == 0) _exit(9);
            msleep(100); /* z is a zombie now */
            _exit(0);
        }
        waitpid(mid, &st, 0);
        int n = 0, code = -1;
        pid_t r;
        while ((r = waitpid(-1, &st, 0)) > 0) {
            n++;
            code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        }
        check("zombie orphan reaped by the subreaper", n, 1);
        check("  its exit status", code, 9);

        /* The subreaper flag is not inherited by fork. */
        pid_t c = fork();
        if (c == 0) {
            int w = -1;
            prctl(PR_GET_CHILD_SUBREAPER, &w, 0, 0, 0);
            _exit(w);
        }
        waitpid(c, &st, 0);
        check("fork child is no subreaper", WEXITSTATUS(st), 0);

        /* PR_SET_PDEATHSIG: the grandchild dies of SIGUSR1 when its parent exits. */
        int q[2];
        pipe(q);
        mid = fork();
        if (mid == 0) {
            pid_t d = fork();
            if (d == 0) {
                prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0);
                int w = 0;
                prctl(PR_GET_PDEATHSIG, &w, 0, 0, 0);
                write(q[1], &w, sizeof(w));
                for (;;) pause();
            }
            int w;
            read(q[0], &w, sizeof(w));
            _exit(w);
        }
        waitpid(mid, &st, 0);
        check("PR_GET_PDEATHSIG", WEXITSTATUS(st), SIGUSR1);
        r = waitpid(-1, &st, 0);
        check("parent-death signal killed the orphan", r > 0 && WIFSIGNALED(st) ? WTERMSIG(st) : -1, SIGUSR1);
        check("PR_SET_PDEATHSIG bad signal", res(prctl(PR_SET_PDEATHSIG, 65, 0, 0, 0)), -EINVAL);

        /* An orphaned process group with a stopped member gets SIGHUP (then SIGCONT). */
        mid = fork();
        if (mid == 0) {
            setsid();
            pid_t s = fork();
            if (s == 0) {
                setpgid(0, 0);
                raise(SIGSTOP);
                _exit(0); /* only if SIGHUP did not kill it */
            }
            waitpid(s, &st, WUNTRACED);
            _exit(WIFSTOPPED(st) ? 0 : 1);
        }
        waitpid(mid, &st, 0);
        check("member stopped before its parent exits", WEXITSTATUS(st), 0);
        r = waitpid(-1, &st, 0);
        check("orphaned stopped group got SIGHUP", r > 0 && WIFSIGNALED(st) ? WTERMSIG(st) : -1, SIGHUP);
        check("subreaper has no children left", res(waitpid(-1, &st, WNOHANG)), -ECHILD);
        _exit(failures);
    }
    waitpid(sub, &st, 0);
    failures += WIFEXITED(st) ? WEXITSTATUS(st) : 100;

    /* Init keeps the signals it blocks pending like any task, and receives those it handles. */
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGTERM);
    sigprocmask(SIG_BLOCK, &s, NULL);
    pid_t k = fork();
    if (k == 0) {
        kill(1, SIGUSR1);
        kill(1, SIGTERM);
        _exit(0);
    }
    waitpid(k, &st, 0);
    sigset_t pend;
    sigpending(&pend);
    check("init: blocked SIGUSR1 pending", sigismember(&pend, SIGUSR1), 1);
    check("init: blocked SIGTERM pending", sigismember(&pend, SIGTERM), 1);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, SIGUSR1);
    siginfo_t si;
    struct timespec to = { 2, 0 };
    check("init: sigtimedwait takes it", sigtimedwait(&one, &si, &to), SIGUSR1);
    check("  si_pid is the sender", si.si_pid == k, 1);
    check("  si_code SI_USER", si.si_code, SI_USER);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    check("init survives an unblocked SIGTERM it does not handle", 1, 1);
    signal(SIGUSR2, on_usr2);
    k = fork();
    if (k == 0) {
        kill(1, SIGUSR2);
        _exit(0);
    }
    waitpid(k, &st, 0);
    for (int i = 0; i < 100 && !got_usr2; i++) msleep(10);
    check("init: a handled signal from inside arrives", got_usr2, 1);
    k = fork();
    if (k == 0) {
        kill(1, SIGKILL);
        _exit(0);
    }
    waitpid(k, &st, 0);
    check("init: SIGKILL from inside is dropped", 1, 1);

    printf("subreaper: %s (%d failures)\n", failures ? "FAIL" : "ok", failures);
    return failures ? 1 : 0;
}
