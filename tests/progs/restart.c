/* restart: interrupted sleeps and polls as Linux resumes them (ERESTART_RESTARTBLOCK and
 * restart_syscall). A SIGSTOP/SIGCONT with no handler in the middle of nanosleep, relative and
 * absolute clock_nanosleep, a CPU-clock clock_nanosleep and poll does not end it: it sleeps on to the
 * original deadline (not a fresh full timeout). A handler (even SA_RESTART) makes them answer EINTR
 * with the time left; restart_syscall called directly answers EINTR. Deterministic output; exit 0
 * when all checks pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(const char *what, long got, long want)
{
    if (got == want) printf("ok   %s = %ld\n", what, got);
    else { printf("FAIL %s = %ld (want %ld)\n", what, got, want); failures++; }
}

static void range(const char *what, long got, long lo, long hi)
{
    if (got >= lo && got < hi) printf("ok   %s in [%ld, %ld)\n", what, lo, hi);
    else { printf("FAIL %s = %ld, not in [%ld, %ld)\n", what, got, lo, hi); failures++; }
}

static long res(long r) { return r < 0 ? -errno : r; }

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void msleep(int ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

enum { NANOSLEEP, CLOCK_REL, CLOCK_ABS, POLL };
static const char *names[] = { "nanosleep", "clock_nanosleep", "clock_nanosleep ABSTIME", "poll" };

/* The child's sleep of 600 ms; returns the syscall's answer (-errno). */
static long do_sleep(int kind)
{
    struct timespec req = { 0, 600 * 1000000L }, rem;
    switch (kind) {
    case NANOSLEEP: return res(nanosleep(&req, &rem));
    case CLOCK_REL: return -clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
    case CLOCK_ABS: {
        struct timespec abs;
        clock_gettime(CLOCK_MONOTONIC, &abs);
        abs.tv_nsec += 600 * 1000000L;
        if (abs.tv_nsec >= 1000000000L) { abs.tv_sec++; abs.tv_nsec -= 1000000000L; }
        return -clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL);
    }
    case POLL: return res(poll(NULL, 0, 600));
    }
    return -1;
}

/* A SIGSTOP 150 ms into the sleep, SIGCONT 400 ms later: the sleep still ends near 600 ms. */
static void stop_cont(int kind)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        long t0 = now_ms();
        long r = do_sleep(kind);
        long el = now_ms() - t0;
        char what[96];
        snprintf(what, sizeof what, "%s across SIGSTOP/SIGCONT", names[kind]);
        check(what, r, 0);
        snprintf(what, sizeof what, "%s: ends at the first deadline (ms)", names[kind]);
        range(what, el, 580, 1050);
        fflush(stdout);
        _exit(failures);
    }
    msleep(150);
    kill(pid, SIGSTOP);
    int st;
    check("child stopped", waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st), 1);
    msleep(400);
    kill(pid, SIGCONT);
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) failures++;
}

/* A CPU-clock sleep: the process clock does not move while stopped, so only the time running counts. */
static void stop_cont_cpu(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct timespec req = { 0, 300 * 1000000L }, rem;
        long r = -clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &req, &rem);
        check("CPU-clock sleep, nothing running: restarted, still asleep", r, 0);
        fflush(stdout);
        _exit(failures);
    }
    msleep(150);
    kill(pid, SIGSTOP);
    int st;
    waitpid(pid, &st, WUNTRACED);
    kill(pid, SIGCONT);
    msleep(150);
    /* Nothing burns CPU in the child: it sleeps forever; it must not have returned EINTR. */
    check("CPU-clock sleeper still sleeping after SIGCONT", waitpid(pid, &st, WNOHANG), 0);
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    check("CPU-clock sleeper killed", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, 1);
}

static volatile int hits;
static void on_sig(int s) { (void)s; hits++; }

/* A handler runs: EINTR even with SA_RESTART, and the time left is written. */
static void handler_eintr(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sig;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    fflush(stdout);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 3; i++) { msleep(200); kill(parent, SIGUSR1); }
        _exit(0);
    }
    struct timespec req = { 5, 0 }, rem = { 0, 0 };
    check("nanosleep, SA_RESTART handler: EINTR", res(nanosleep(&req, &rem)), -EINTR);
    range("nanosleep rem (s)", rem.tv_sec, 4, 5);
    check("clock_nanosleep, SA_RESTART handler: EINTR", clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem), EINTR);
    check("poll, SA_RESTART handler: EINTR", res(poll(NULL, 0, 5000)), -EINTR);
    check("handler ran three times", hits, 3);
    int st;
    waitpid(pid, &st, 0);
    /* After a handler the restart block is gone: restart_syscall has nothing to resume. */
    check("restart_syscall after a handler: EINTR", res(syscall(SYS_restart_syscall)), -EINTR);
    signal(SIGUSR1, SIG_DFL);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    check("restart_syscall with nothing to restart: EINTR", res(syscall(SYS_restart_syscall)), -EINTR);
    stop_cont(NANOSLEEP);
    stop_cont(CLOCK_REL);
    stop_cont(CLOCK_ABS);
    stop_cont(POLL);
    stop_cont_cpu();
    handler_eintr();
    printf("restart: %s (%d failures)\n", failures ? "FAIL" : "ok", failures);
    return failures != 0;
}
