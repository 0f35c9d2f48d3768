/* A signal that became pending while blocked is delivered at once by a wait whose temporary mask
 * unblocks it (recalc_sigpending): sigsuspend, ppoll, pselect6 and epoll_pwait, also right after a
 * handler for another signal ran and its sa_mask kept the second one blocked (gVisor's
 * JobControlTest.ReleaseTTYSignals shape: SIGHUP then SIGCONT to a sigsuspend loop). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int got;
static void on_sig(int sig) { got |= 1 << sig; }

static const char *wait_kind[] = { "sigsuspend", "ppoll", "pselect6", "epoll_pwait" };

static int wait_with(int kind, const sigset_t *mask)
{
    struct timespec ts = { 3, 0 };
    switch (kind) {
    case 0: return sigsuspend(mask);
    case 1: return ppoll(NULL, 0, &ts, mask);
    case 2: return pselect(0, NULL, NULL, NULL, &ts, mask);
    default: {
        int ep = epoll_create1(0);
        struct epoll_event ev;
        int r = epoll_pwait(ep, &ev, 1, 3000, mask);
        close(ep);
        return r;
    }
    }
}

/* The child blocks SIGHUP and SIGCONT, installs handlers whose sa_mask holds both, is sent both
 * while waiting; one wait delivers the first, the handler's mask defers the second to the next wait. */
static void case_two_signals(int kind)
{
    sigset_t both, old;
    sigemptyset(&both);
    sigaddset(&both, SIGHUP);
    sigaddset(&both, SIGCONT);
    sigprocmask(SIG_BLOCK, &both, &old);
    int ready[2];
    pipe(ready);
    pid_t c = fork();
    if (c == 0) {
        struct sigaction sa = { 0 };
        sa.sa_handler = on_sig;
        sa.sa_mask = both;
        sigaction(SIGHUP, &sa, NULL);
        sigaction(SIGCONT, &sa, NULL);
        got = 0;
        (void)!write(ready[1], "r", 1);
        sigset_t m;
        sigfillset(&m);
        sigdelset(&m, SIGHUP);
        sigdelset(&m, SIGCONT);
        int waits = 0;
        while (got != ((1 << SIGHUP) | (1 << SIGCONT)) && waits < 4) {
            int r = wait_with(kind, &m);
            if (!(r < 0 && errno == EINTR)) _exit(10 + waits);
            waits++;
        }
        _exit(got == ((1 << SIGHUP) | (1 << SIGCONT)) ? waits : 20);
    }
    char ch;
    (void)!read(ready[0], &ch, 1);
    usleep(200000);
    kill(c, SIGHUP);
    kill(c, SIGCONT);
    int st;
    waitpid(c, &st, 0);
    printf("%s: two signals sent while waiting: exit=%d (waits)\n", wait_kind[kind], WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(ready[0]);
    close(ready[1]);
}

/* A signal queued while blocked and before the wait began: the wait returns EINTR at once. */
static void case_pending_before(int kind)
{
    struct sigaction sa = { 0 };
    sa.sa_handler = on_sig;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t one, old;
    sigemptyset(&one);
    sigaddset(&one, SIGUSR1);
    sigprocmask(SIG_BLOCK, &one, &old);
    got = 0;
    raise(SIGUSR1);
    sigset_t m;
    sigemptyset(&m);
    int r = wait_with(kind, &m);
    int e = errno;
    printf("%s: pending before the wait: r=%d %s handled=%d\n", wait_kind[kind], r, r < 0 ? strerror(e) : "", (got >> SIGUSR1) & 1);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int k = 0; k < 4; k++) {
        case_pending_before(k);
        case_two_signals(k);
    }
    return 0;
}
