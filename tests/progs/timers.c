/* timers: alarm, itimers (REAL, VIRTUAL, PROF), POSIX timers (SIGEV_SIGNAL, SIGEV_THREAD_ID,
 * SIGEV_NONE, TIMER_ABSTIME, overruns, CPU clocks, siginfo fields), timerfd in poll and epoll,
 * signalfd (layout, poll/epoll, queued real-time signals, timer signals), sigtimedwait,
 * nanosleep/clock_nanosleep interrupted by a handler (EINTR + time left), times/getrusage and
 * the CPU clocks. Prints no raw times: only whether they fall in a range. Exit 0 when all pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(const char *what, long got, long want)
{
    if (got == want) {
        printf("ok   %s\n", what);
    } else {
        printf("FAIL %s = %ld (want %ld)\n", what, got, want);
        failures++;
    }
}

static void range(const char *what, long got, long lo, long hi)
{
    if (got >= lo && got <= hi) {
        printf("ok   %s in [%ld, %ld]\n", what, lo, hi);
    } else {
        printf("FAIL %s = %ld (want [%ld, %ld])\n", what, got, lo, hi);
        failures++;
    }
}

static long err(long r) { return r < 0 ? -errno : r; }

static long now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static long ms(long ns) { return ns / 1000000; }

static void burn_cpu(long ns_of_cpu)
{
    long start = now_ns(CLOCK_PROCESS_CPUTIME_ID), wall = now_ns(CLOCK_MONOTONIC);
    volatile unsigned long x = 0;
    while (now_ns(CLOCK_PROCESS_CPUTIME_ID) - start < ns_of_cpu && now_ns(CLOCK_MONOTONIC) - wall < 10000000000L)
        for (int i = 0; i < 100000; i++) x += i;
}

static volatile sig_atomic_t got_sig, got_code, got_count;
static volatile int got_timerid, got_overrun;
static volatile long got_value;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_sig = sig;
    got_code = si->si_code;
    got_timerid = si->si_timerid;
    got_overrun = si->si_overrun;
    got_value = (long)si->si_value.sival_ptr;
    got_count++;
}

static void handle(int sig, int flags)
{
    struct sigaction sa = { 0 };
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void block(int sig, int how)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(how, &s, NULL);
}

static void test_alarm(void)
{
    check("alarm(10) first", alarm(10), 0);
    check("alarm(0) returns the 10 s left", alarm(0), 10);
    check("alarm(0) again", alarm(0), 0);
    handle(SIGALRM, 0);
    got_count = 0;
    alarm(1);
    long t0 = now_ns(CLOCK_MONOTONIC);
    while (!got_count && now_ns(CLOCK_MONOTONIC) - t0 < 5000000000L) pause();
    check("alarm: SIGALRM", got_sig, SIGALRM);
    check("alarm: si_code SI_KERNEL", got_code, SI_KERNEL);
    range("alarm: waited ms", ms(now_ns(CLOCK_MONOTONIC) - t0), 900, 3000);
}

static void test_itimer_real(void)
{
    struct itimerval it = { .it_interval = { 0, 50000 }, .it_value = { 0, 50000 } }, old;
    handle(SIGALRM, SA_RESTART);
    got_count = 0;
    check("setitimer REAL", err(setitimer(ITIMER_REAL, &it, NULL)), 0);
    getitimer(ITIMER_REAL, &old);
    check("getitimer REAL interval usec", old.it_interval.tv_usec, 50000);
    range("getitimer REAL value usec", old.it_value.tv_usec, 1, 50000);
    long t0 = now_ns(CLOCK_MONOTONIC);
    while (got_count < 3 && now_ns(CLOCK_MONOTONIC) - t0 < 5000000000L) pause();
    check("itimer REAL: three periods", got_count >= 3, 1);
    memset(&it, 0, sizeof it);
    check("setitimer REAL off, old value", err(setitimer(ITIMER_REAL, &it, &old)), 0);
    check("old interval usec", old.it_interval.tv_usec, 50000);
    getitimer(ITIMER_REAL, &old);
    check("disarmed: value", old.it_value.tv_sec + old.it_value.tv_usec, 0);
    it.it_value.tv_usec = 1000000;
    check("setitimer usec 1000000", err(setitimer(ITIMER_REAL, &it, NULL)), -EINVAL);
    check("setitimer which 5", err(setitimer(5, &it, NULL)), -EINVAL);
    check("getitimer which 5", err(getitimer(5, &old)), -EINVAL);
}

static void test_itimer_cpu(int which, int sig, const char *name)
{
    char what[80];
    struct itimerval it = { .it_interval = { 0, 0 }, .it_value = { 0, 100000 } }, cur;
    handle(sig, SA_RESTART);
    got_count = 0;
    got_sig = 0;
    snprintf(what, sizeof what, "setitimer %s", name);
    check(what, err(setitimer(which, &it, NULL)), 0);
    getitimer(which, &cur);
    snprintf(what, sizeof what, "getitimer %s armed", name);
    range(what, cur.it_value.tv_usec, 1, 110000); /* Linux rounds CPU itimers up to a tick */
    long wall0 = now_ns(CLOCK_MONOTONIC);
    volatile unsigned long x = 0;
    while (!got_count && now_ns(CLOCK_MONOTONIC) - wall0 < 10000000000L)
        for (int i = 0; i < 100000; i++) x += i;
    snprintf(what, sizeof what, "%s fired", name);
    check(what, got_sig, sig);
    snprintf(what, sizeof what, "%s si_code SI_KERNEL", name);
    check(what, got_code, SI_KERNEL);
    getitimer(which, &cur);
    snprintf(what, sizeof what, "%s one-shot disarmed", name);
    check(what, cur.it_value.tv_sec + cur.it_value.tv_usec, 0);
}

static void test_posix_signal(void)
{
    timer_t id;
    struct sigevent ev = { 0 };
    int sig = SIGRTMIN + 1;
    block(sig, SIG_BLOCK);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = sig;
    ev.sigev_value.sival_ptr = (void *)0x1234;
    check("timer_create MONOTONIC", err(timer_create(CLOCK_MONOTONIC, &ev, &id)), 0);
    struct itimerspec its = { .it_interval = { 0, 10000000 }, .it_value = { 0, 10000000 } }, cur;
    check("timer_settime 10ms periodic", err(timer_settime(id, 0, &its, NULL)), 0);
    timer_gettime(id, &cur);
    check("timer_gettime interval", cur.it_interval.tv_nsec, 10000000);
    range("timer_gettime value", cur.it_value.tv_nsec, 1, 10000000);
    usleep(200000);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    siginfo_t si;
    check("sigwaitinfo", sigwaitinfo(&s, &si), sig);
    check("si_code SI_TIMER", si.si_code, SI_TIMER);
    check("si_timerid", si.si_timerid, (long)(intptr_t)id);
    check("si_value", (long)si.si_value.sival_ptr, 0x1234);
    range("si_overrun after 200ms of 10ms periods", si.si_overrun, 5, 25);
    check("timer_getoverrun = si_overrun", timer_getoverrun(id), si.si_overrun);
    check("timer_delete", err(timer_delete(id)), 0);
    check("timer_delete again", err(timer_delete(id)), -EINVAL);
    check("timer_gettime deleted", err(timer_gettime(id, &cur)), -EINVAL);
    check("timer_getoverrun deleted", err(timer_getoverrun(id)), -EINVAL);
    /* A deleted timer's queued signal stays pending. */
    struct timespec zero = { 0, 0 };
    while (sigtimedwait(&s, &si, &zero) > 0) {}
    block(sig, SIG_UNBLOCK);
}

static void test_posix_default_and_errors(void)
{
    timer_t id;
    int kid = -1;
    /* The raw call: glibc passes a sigevent of its own when given NULL. */
    check("timer_create NULL sigevent", err(syscall(SYS_timer_create, CLOCK_REALTIME, NULL, &kid)), 0);
    id = (timer_t)(intptr_t)kid;
    handle(SIGALRM, 0);
    got_count = 0;
    struct itimerspec its = { .it_value = { 0, 20000000 } };
    timer_settime(id, 0, &its, NULL);
    long t0 = now_ns(CLOCK_MONOTONIC);
    while (!got_count && now_ns(CLOCK_MONOTONIC) - t0 < 5000000000L) pause();
    check("default: SIGALRM", got_sig, SIGALRM);
    check("default: si_code SI_TIMER", got_code, SI_TIMER);
    check("default: si_value is the timer id", got_value, kid);
    check("default: si_overrun", got_overrun, 0);
    struct itimerspec cur;
    timer_gettime(id, &cur);
    check("expired one-shot: value", cur.it_value.tv_sec + cur.it_value.tv_nsec, 0);
    timer_delete(id);

    struct sigevent ev = { 0 };
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = 0;
    check("timer_create signo 0", err(timer_create(CLOCK_MONOTONIC, &ev, &id)), -EINVAL);
    ev.sigev_signo = 65;
    check("timer_create signo 65", err(timer_create(CLOCK_MONOTONIC, &ev, &id)), -EINVAL);
    ev.sigev_signo = SIGUSR1;
    ev.sigev_notify = 99;
    check("timer_create notify 99", err(timer_create(CLOCK_MONOTONIC, &ev, &id)), -EINVAL);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev._sigev_un._tid = 999999;
    check("timer_create THREAD_ID bad tid", err(timer_create(CLOCK_MONOTONIC, &ev, &id)), -EINVAL);
    ev.sigev_notify = SIGEV_SIGNAL;
    check("timer_create clock 99", err(timer_create(99, &ev, &id)), -EINVAL);
    check("timer_create MONOTONIC_RAW", err(timer_create(CLOCK_MONOTONIC_RAW, &ev, &id)), -EOPNOTSUPP);
    check("timer_create BOOTTIME", err(timer_create(CLOCK_BOOTTIME, &ev, &id)), 0);
    its.it_value.tv_nsec = 1000000000;
    check("timer_settime nsec 1e9", err(timer_settime(id, 0, &its, NULL)), -EINVAL);
    its.it_value.tv_nsec = 0;
    its.it_value.tv_sec = -1;
    check("timer_settime sec -1", err(timer_settime(id, 0, &its, NULL)), -EINVAL);
    timer_delete(id);
}

static pid_t worker_tid;
static volatile int worker_got, worker_timerid;

static void *worker(void *arg)
{
    (void)arg;
    worker_tid = (pid_t)syscall(SYS_gettid);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGRTMIN + 2);
    siginfo_t si;
    struct timespec to = { 5, 0 };
    if (sigtimedwait(&s, &si, &to) == SIGRTMIN + 2) {
        worker_timerid = si.si_timerid;
        worker_got = si.si_code == SI_TIMER;
    }
    return NULL;
}

static void test_thread_id(void)
{
    int sig = SIGRTMIN + 2;
    block(sig, SIG_BLOCK); /* inherited by the worker */
    pthread_t th;
    pthread_create(&th, NULL, worker, NULL);
    while (!worker_tid) usleep(1000);
    timer_t id;
    struct sigevent ev = { 0 };
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = sig;
    ev._sigev_un._tid = worker_tid;
    check("timer_create THREAD_ID", err(timer_create(CLOCK_MONOTONIC, &ev, &id)), 0);
    struct itimerspec its = { .it_value = { 0, 50000000 } };
    timer_settime(id, 0, &its, NULL);
    pthread_join(th, NULL);
    check("THREAD_ID: the worker took it", worker_got, 1);
    check("THREAD_ID: si_timerid", worker_timerid, (long)(intptr_t)id);
    sigset_t p;
    sigpending(&p);
    check("THREAD_ID: not pending for the process", sigismember(&p, sig), 0);
    timer_delete(id);
    block(sig, SIG_UNBLOCK);
}

static void test_sigev_none_and_abstime(void)
{
    timer_t id;
    struct sigevent ev = { 0 };
    ev.sigev_notify = SIGEV_NONE;
    check("timer_create SIGEV_NONE", err(timer_create(CLOCK_MONOTONIC, &ev, &id)), 0);
    struct itimerspec its = { .it_value = { 0, 100000000 } }, cur;
    timer_settime(id, 0, &its, NULL);
    timer_gettime(id, &cur);
    range("SIGEV_NONE: ms left", cur.it_value.tv_nsec / 1000000, 1, 100);
    usleep(150000);
    timer_gettime(id, &cur);
    check("SIGEV_NONE: expired", cur.it_value.tv_sec + cur.it_value.tv_nsec, 0);
    timer_delete(id);
    check("timer_create REALTIME SIGEV_NONE", err(timer_create(CLOCK_REALTIME, &ev, &id)), 0);
    /* Absolute REALTIME: 300 ms from now. */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    its.it_value = now;
    its.it_value.tv_nsec += 300000000;
    if (its.it_value.tv_nsec >= 1000000000) { its.it_value.tv_sec++; its.it_value.tv_nsec -= 1000000000; }
    struct itimerspec old;
    check("timer_settime ABSTIME", err(timer_settime(id, TIMER_ABSTIME, &its, &old)), 0);
    check("old setting was unarmed", old.it_value.tv_sec + old.it_value.tv_nsec, 0);
    timer_gettime(id, &cur);
    range("ABSTIME: ms left", cur.it_value.tv_nsec / 1000000, 100, 300);
    /* Absolute time in the past: expires at once. */
    its.it_value.tv_sec -= 10;
    timer_settime(id, TIMER_ABSTIME, &its, NULL);
    usleep(10000);
    timer_gettime(id, &cur);
    check("ABSTIME in the past: expired", cur.it_value.tv_sec + cur.it_value.tv_nsec, 0);
    timer_delete(id);

    /* Two timers on one real-time signal: both are queued. */
    int sig = SIGRTMIN + 3;
    block(sig, SIG_BLOCK);
    timer_t a, b;
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = sig;
    ev.sigev_value.sival_int = 1;
    timer_create(CLOCK_MONOTONIC, &ev, &a);
    ev.sigev_value.sival_int = 2;
    timer_create(CLOCK_MONOTONIC, &ev, &b);
    its.it_value.tv_sec = 0;
    its.it_value.tv_nsec = 10000000;
    timer_settime(a, 0, &its, NULL);
    timer_settime(b, 0, &its, NULL);
    usleep(100000);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    siginfo_t si;
    struct timespec zero = { 0, 0 };
    int sum = 0, n = 0;
    while (sigtimedwait(&s, &si, &zero) == sig) { sum += si.si_value.sival_int; n++; }
    check("two timers, one rt signal: instances", n, 2);
    check("two timers: values", sum, 3);
    timer_delete(a);
    timer_delete(b);
    block(sig, SIG_UNBLOCK);
}

static void test_cpu_clock_timer(void)
{
    timer_t id;
    struct sigevent ev = { 0 };
    int sig = SIGRTMIN + 4;
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = sig;
    handle(sig, SA_RESTART);
    got_count = 0;
    check("timer_create PROCESS_CPUTIME", err(timer_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &id)), 0);
    struct itimerspec its = { .it_value = { 0, 100000000 } };
    timer_settime(id, 0, &its, NULL);
    long cpu0 = now_ns(CLOCK_PROCESS_CPUTIME_ID), wall0 = now_ns(CLOCK_MONOTONIC);
    volatile unsigned long x = 0;
    while (!got_count && now_ns(CLOCK_MONOTONIC) - wall0 < 10000000000L)
        for (int i = 0; i < 100000; i++) x += i;
    check("CPU timer fired", got_sig, sig);
    range("CPU timer: CPU ms used", ms(now_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0), 90, 1000);
    timer_delete(id);
    check("timer_create THREAD_CPUTIME", err(timer_create(CLOCK_THREAD_CPUTIME_ID, &ev, &id)), 0);
    timer_delete(id);
}

static void test_timerfd(void)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    check("timerfd_create", fd >= 0, 1);
    uint64_t ticks = 0;
    check("read unarmed: EAGAIN", err(read(fd, &ticks, 8)), -EAGAIN);
    check("read 4 bytes: EINVAL", err(read(fd, &ticks, 4)), -EINVAL);
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    check("poll unarmed", poll(&pfd, 1, 0), 0);
    int ep = epoll_create1(0);
    struct epoll_event e = { .events = EPOLLIN, .data.u64 = 77 }, out;
    check("epoll_ctl add timerfd", err(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e)), 0);
    struct itimerspec its = { .it_interval = { 0, 20000000 }, .it_value = { 0, 20000000 } }, cur;
    check("timerfd_settime 20ms periodic", err(timerfd_settime(fd, 0, &its, NULL)), 0);
    check("epoll_wait: one ready", epoll_wait(ep, &out, 1, 5000), 1);
    check("epoll_wait: data", (long)out.data.u64, 77);
    check("epoll_wait: EPOLLIN", out.events, EPOLLIN);
    usleep(100000);
    check("read ticks", err(read(fd, &ticks, 8)), 8);
    range("ticks after ~100ms of 20ms periods", (long)ticks, 3, 12);
    timerfd_gettime(fd, &cur);
    check("timerfd_gettime interval", cur.it_interval.tv_nsec, 20000000);
    range("timerfd_gettime value", cur.it_value.tv_nsec, 1, 20000000);
    /* Re-arming resets the count. */
    its.it_interval.tv_nsec = 0;
    its.it_value.tv_sec = 10;
    its.it_value.tv_nsec = 0;
    struct itimerspec old;
    check("timerfd_settime 10s", err(timerfd_settime(fd, 0, &its, &old)), 0);
    check("old interval", old.it_interval.tv_nsec, 20000000);
    check("read after re-arm: EAGAIN", err(read(fd, &ticks, 8)), -EAGAIN);
    check("epoll_wait: nothing", epoll_wait(ep, &out, 1, 50), 0);
    /* Absolute, blocking read in a blocking fd. */
    int bfd = timerfd_create(CLOCK_REALTIME, 0);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    its.it_value = now;
    its.it_value.tv_nsec += 50000000;
    if (its.it_value.tv_nsec >= 1000000000) { its.it_value.tv_sec++; its.it_value.tv_nsec -= 1000000000; }
    check("timerfd_settime ABSTIME|CANCEL_ON_SET", err(timerfd_settime(bfd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL)), 0);
    long t0 = now_ns(CLOCK_MONOTONIC);
    check("blocking read", err(read(bfd, &ticks, 8)), 8);
    check("one tick", (long)ticks, 1);
    range("blocked ms", ms(now_ns(CLOCK_MONOTONIC) - t0), 0, 2000);
    timerfd_gettime(bfd, &cur);
    check("expired: value", cur.it_value.tv_sec + cur.it_value.tv_nsec, 0);
    /* Errors. */
    check("timerfd_create clock 99", err(timerfd_create(99, 0)), -EINVAL);
    check("timerfd_create PROCESS_CPUTIME", err(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0)), -EINVAL);
    check("timerfd_create flags", err(timerfd_create(CLOCK_MONOTONIC, 0x40)), -EINVAL);
    check("timerfd_settime flags 4", err(timerfd_settime(fd, 4, &its, NULL)), -EINVAL);
    check("timerfd_settime on epoll fd", err(timerfd_settime(ep, 0, &its, NULL)), -EINVAL);
    check("timerfd_settime bad fd", err(timerfd_settime(999, 0, &its, NULL)), -EBADF);
    its.it_value.tv_nsec = -1;
    check("timerfd_settime nsec -1", err(timerfd_settime(fd, 0, &its, NULL)), -EINVAL);
    check("timerfd write: EINVAL", err(write(fd, &ticks, 8)), -EINVAL);
    close(bfd);
    close(ep);
    close(fd);
}

static void test_signalfd(void)
{
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGRTMIN + 5);
    sigaddset(&mask, SIGRTMIN + 6);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    check("signalfd", fd >= 0, 1);
    struct signalfd_siginfo ssi[4];
    check("read empty: EAGAIN", err(read(fd, ssi, sizeof ssi)), -EAGAIN);
    check("read short buffer: EINVAL", err(read(fd, ssi, 100)), -EINVAL);
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    check("poll: nothing", poll(&pfd, 1, 0), 0);
    int ep = epoll_create1(0);
    struct epoll_event e = { .events = EPOLLIN, .data.u64 = 5 }, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
    check("epoll: nothing", epoll_wait(ep, &out, 1, 0), 0);
    kill(getpid(), SIGUSR1);
    check("poll: SIGUSR1 pending", poll(&pfd, 1, 1000), 1);
    check("epoll: ready", epoll_wait(ep, &out, 1, 1000), 1);
    check("read one", err(read(fd, ssi, sizeof ssi)), (long)sizeof ssi[0]);
    check("ssi_signo", ssi[0].ssi_signo, SIGUSR1);
    check("ssi_code SI_USER", ssi[0].ssi_code, SI_USER);
    check("ssi_pid", ssi[0].ssi_pid, getpid());
    check("ssi_uid", ssi[0].ssi_uid, getuid());
    check("not pending any more", poll(&pfd, 1, 0), 0);
    /* Queued real-time signals with values: several in one read. */
    union sigval v = { .sival_int = 42 };
    sigqueue(getpid(), SIGRTMIN + 5, v);
    v.sival_int = 43;
    sigqueue(getpid(), SIGRTMIN + 5, v);
    check("read two queued", err(read(fd, ssi, sizeof ssi)), 2 * (long)sizeof ssi[0]);
    check("first ssi_int", ssi[0].ssi_int, 42);
    check("second ssi_int", ssi[1].ssi_int, 43);
    check("ssi_code SI_QUEUE", ssi[0].ssi_code, SI_QUEUE);
    check("ssi_pid of sigqueue", ssi[1].ssi_pid, getpid());
    /* A timer's signal through the signalfd. */
    timer_t id;
    struct sigevent ev = { 0 };
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGRTMIN + 6;
    ev.sigev_value.sival_ptr = (void *)0xabcdef;
    timer_create(CLOCK_MONOTONIC, &ev, &id);
    struct itimerspec its = { .it_interval = { 0, 10000000 }, .it_value = { 0, 10000000 } };
    timer_settime(id, 0, &its, NULL);
    usleep(100000);
    int bfd = signalfd(-1, &mask, 0);
    check("blocking read of the timer signal", err(read(bfd, ssi, sizeof ssi)), (long)sizeof ssi[0]);
    check("timer ssi_signo", ssi[0].ssi_signo, SIGRTMIN + 6);
    check("timer ssi_code SI_TIMER", ssi[0].ssi_code, SI_TIMER);
    check("timer ssi_tid", ssi[0].ssi_tid, (long)(intptr_t)id);
    check("timer ssi_ptr", (long)ssi[0].ssi_ptr, 0xabcdef);
    range("timer ssi_overrun", ssi[0].ssi_overrun, 3, 15);
    timer_delete(id);
    struct timespec zero = { 0, 0 };
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN + 6);
    while (sigtimedwait(&rt, NULL, &zero) > 0) {}
    /* Changing the mask of an existing signalfd; errors. */
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, SIGUSR2);
    check("signalfd update mask", signalfd(fd, &only, 0), fd);
    kill(getpid(), SIGUSR1);
    check("SIGUSR1 no longer in the mask", err(read(fd, ssi, sizeof ssi)), -EAGAIN);
    struct timespec to = { 1, 0 };
    check("sigtimedwait takes it", sigtimedwait(&mask, NULL, &to), SIGUSR1);
    check("signalfd on a non-signalfd", err(signalfd(ep, &mask, 0)), -EINVAL);
    check("signalfd bad flags", err(syscall(SYS_signalfd4, -1, &mask, 8, 1)), -EINVAL);
    check("signalfd bad size", err(syscall(SYS_signalfd4, -1, &mask, 4, 0)), -EINVAL);
    check("signalfd bad fd", err(signalfd(999, &mask, 0)), -EBADF);
    close(bfd);
    close(ep);
    close(fd);
    sigprocmask(SIG_UNBLOCK, &mask, NULL);
}

static void test_sigtimedwait(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    sigprocmask(SIG_BLOCK, &s, NULL);
    struct timespec to = { 0, 50000000 };
    long t0 = now_ns(CLOCK_MONOTONIC);
    check("sigtimedwait timeout: EAGAIN", err(sigtimedwait(&s, NULL, &to)), -EAGAIN);
    range("waited ms", ms(now_ns(CLOCK_MONOTONIC) - t0), 40, 2000);
    to.tv_nsec = 1000000000;
    check("sigtimedwait bad timeout", err(sigtimedwait(&s, NULL, &to)), -EINVAL);
    syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), SIGUSR2);
    siginfo_t si;
    to.tv_nsec = 0;
    check("sigtimedwait pending", sigtimedwait(&s, &si, &to), SIGUSR2);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
}

static void test_sleeps(void)
{
    handle(SIGALRM, 0); /* no SA_RESTART; sleeps get EINTR regardless */
    struct itimerval it = { .it_value = { 0, 200000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    struct timespec req = { 2, 0 }, rem = { 0, 0 };
    check("nanosleep interrupted: EINTR", err(nanosleep(&req, &rem)), -EINTR);
    range("nanosleep rem ms", rem.tv_sec * 1000 + rem.tv_nsec / 1000000, 1000, 1800);
    setitimer(ITIMER_REAL, &it, NULL);
    rem.tv_sec = rem.tv_nsec = 0;
    check("clock_nanosleep interrupted", clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem), EINTR);
    range("clock_nanosleep rem ms", rem.tv_sec * 1000 + rem.tv_nsec / 1000000, 1000, 1800);
    setitimer(ITIMER_REAL, &it, NULL);
    struct timespec abs;
    clock_gettime(CLOCK_MONOTONIC, &abs);
    abs.tv_sec += 2;
    rem.tv_sec = 77;
    check("clock_nanosleep ABSTIME interrupted", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, &rem), EINTR);
    check("ABSTIME leaves rem alone", rem.tv_sec, 77);
    clock_gettime(CLOCK_REALTIME, &abs);
    abs.tv_nsec += 50000000;
    if (abs.tv_nsec >= 1000000000) { abs.tv_sec++; abs.tv_nsec -= 1000000000; }
    long t0 = now_ns(CLOCK_MONOTONIC);
    check("clock_nanosleep REALTIME ABSTIME", clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &abs, NULL), 0);
    range("slept ms", ms(now_ns(CLOCK_MONOTONIC) - t0), 20, 2000);
    req.tv_sec = 0;
    req.tv_nsec = 1000000000;
    check("nanosleep nsec 1e9", err(nanosleep(&req, NULL)), -EINVAL);
    req.tv_nsec = 1000;
    check("clock_nanosleep THREAD_CPUTIME", clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL), EINVAL);
    check("clock_nanosleep clock 99", clock_nanosleep(99, 0, &req, NULL), EINVAL);
}

static void test_cpu_accounting(void)
{
    struct tms t0, t1;
    times(&t0);
    long cpu0 = now_ns(CLOCK_PROCESS_CPUTIME_ID), th0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
    burn_cpu(300000000);
    long cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0, th = now_ns(CLOCK_THREAD_CPUTIME_ID) - th0;
    times(&t1);
    range("process CPU ms after burning 300", ms(cpu), 300, 2000);
    range("thread CPU ms", ms(th), 250, 2000);
    long ticks = sysconf(_SC_CLK_TCK);
    range("times: utime+stime ticks", (long)((t1.tms_utime + t1.tms_stime) - (t0.tms_utime + t0.tms_stime)), ticks * 2 / 10, ticks * 3);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    range("getrusage SELF ms", ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000 + ru.ru_stime.tv_sec * 1000 + ru.ru_stime.tv_usec / 1000, 300, 60000);
    getrusage(RUSAGE_THREAD, &ru);
    range("getrusage THREAD ms", ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000 + ru.ru_stime.tv_sec * 1000 + ru.ru_stime.tv_usec / 1000, 250, 60000);
    check("getrusage 7", err(getrusage(7, &ru)), -EINVAL);
    pid_t c = fork();
    if (c == 0) {
        burn_cpu(200000000);
        _exit(0);
    }
    int st;
    struct rusage cru;
    wait4(c, &st, 0, &cru);
    range("wait4 rusage ms", cru.ru_utime.tv_sec * 1000 + cru.ru_utime.tv_usec / 1000 + cru.ru_stime.tv_sec * 1000 + cru.ru_stime.tv_usec / 1000, 150, 60000);
    getrusage(RUSAGE_CHILDREN, &ru);
    range("getrusage CHILDREN ms", ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000 + ru.ru_stime.tv_sec * 1000 + ru.ru_stime.tv_usec / 1000, 150, 60000);
    struct tms t2;
    times(&t2);
    range("times: children ticks", (long)(t2.tms_cutime + t2.tms_cstime), ticks * 15 / 100, ticks * 60);
    /* Another process's CPU clock: the child's, before it is reaped. */
    c = fork();
    if (c == 0) {
        burn_cpu(100000000);
        pause();
        _exit(0);
    }
    clockid_t cc;
    check("clock_getcpuclockid child", clock_getcpuclockid(c, &cc), 0);
    long t = now_ns(CLOCK_MONOTONIC), v = 0;
    struct timespec ts;
    while (now_ns(CLOCK_MONOTONIC) - t < 5000000000L) {
        clock_gettime(cc, &ts);
        v = ts.tv_sec * 1000000000L + ts.tv_nsec;
        if (v >= 100000000) break;
        usleep(10000);
    }
    range("child's CPU clock ms", ms(v), 100, 2000);
    kill(c, SIGKILL);
    waitpid(c, &st, 0);
    check("clock_gettime of a reaped child", err(clock_gettime(cc, &ts)), -EINVAL);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_alarm();
    test_itimer_real();
    test_itimer_cpu(ITIMER_VIRTUAL, SIGVTALRM, "ITIMER_VIRTUAL");
    test_itimer_cpu(ITIMER_PROF, SIGPROF, "ITIMER_PROF");
    test_posix_signal();
    test_posix_default_and_errors();
    test_thread_id();
    test_sigev_none_and_abstime();
    test_cpu_clock_timer();
    test_timerfd();
    test_signalfd();
    test_sigtimedwait();
    test_sleeps();
    test_cpu_accounting();
    printf("timers: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
