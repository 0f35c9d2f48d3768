/* sigio.c: signal-driven I/O (fcntl F_SETOWN/F_SETOWN_EX/F_SETSIG, O_ASYNC, FIOASYNC). Each case
 * blocks the signal and takes it with sigtimedwait to print its siginfo: plain SIGIO (SI_KERNEL),
 * or the F_SETSIG signal with POLL_IN/POLL_OUT, si_band and si_fd; owners by process, thread and
 * process group; the argument checks. Deterministic output; compared with runc. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static sigset_t all;

/* Waits up to 2 s for one of the blocked signals and prints what it carries. */
static void take(const char *what)
{
    struct timespec ts = { 2, 0 };
    siginfo_t si;
    int sig = sigtimedwait(&all, &si, &ts);
    if (sig < 0) {
        printf("%s: no signal (%s)\n", what, strerror(errno));
        return;
    }
    if (sig == SIGIO && si.si_code == SI_KERNEL)
        printf("%s: SIGIO SI_KERNEL\n", what);
    else
        printf("%s: sig %s%d code %d band %#lx fd %d\n", what, sig >= SIGRTMIN ? "RTMIN+" : "", sig >= SIGRTMIN ? sig - SIGRTMIN : sig,
               si.si_code, (unsigned long)si.si_band, si.si_fd);
}

/* Drains whatever else is pending, so each case starts clean. */
static void drain(void)
{
    struct timespec zero = { 0, 0 };
    siginfo_t si;
    while (sigtimedwait(&all, &si, &zero) > 0) {
    }
}

static void none(const char *what)
{
    struct timespec ts = { 0, 200 * 1000 * 1000 };
    siginfo_t si;
    int sig = sigtimedwait(&all, &si, &ts);
    printf("%s: %s\n", what, sig < 0 ? "no signal" : "unexpected signal");
}

static void check(const char *what, int r)
{
    printf("%s: %d %s\n", what, r, r < 0 ? strerror(errno) : "");
}

int main(void)
{
    sigemptyset(&all);
    sigaddset(&all, SIGIO);
    for (int s = SIGRTMIN; s <= SIGRTMIN + 3; s++) sigaddset(&all, s);
    sigprocmask(SIG_BLOCK, &all, NULL);
    char buf[65536];

    /* 1. A pipe's read end owned by this process: SIGIO when data arrives. */
    int p[2];
    pipe(p);
    printf("getown before: %d\n", fcntl(p[0], F_GETOWN));
    printf("setown: %d\n", fcntl(p[0], F_SETOWN, getpid()));
    printf("getown is pid: %d\n", fcntl(p[0], F_GETOWN) == getpid());
    printf("setfl async: %d\n", fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_ASYNC));
    printf("getfl has O_ASYNC: %d\n", (fcntl(p[0], F_GETFL) & O_ASYNC) != 0);
    write(p[1], "x", 1);
    take("pipe read end");
    read(p[0], buf, 1);
    drain();

    /* 2. F_SETSIG: the chosen signal with POLL_IN, si_band and si_fd. */
    printf("setsig: %d\n", fcntl(p[0], F_SETSIG, SIGRTMIN));
    printf("getsig is RTMIN: %d\n", fcntl(p[0], F_GETSIG) == SIGRTMIN);
    write(p[1], "y", 1);
    take("pipe F_SETSIG");
    read(p[0], buf, 1);
    drain();

    /* 3. O_ASYNC off: no more signals. */
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) & ~O_ASYNC);
    write(p[1], "z", 1);
    none("async off");
    read(p[0], buf, 1);

    /* 4. The write end: POLL_OUT once a full pipe is read. */
    int q[2];
    pipe(q);
    fcntl(q[1], F_SETFL, O_NONBLOCK);
    while (write(q[1], buf, sizeof buf) > 0) {
    }
    fcntl(q[1], F_SETOWN, getpid());
    fcntl(q[1], F_SETSIG, SIGRTMIN + 1);
    fcntl(q[1], F_SETFL, fcntl(q[1], F_GETFL) | O_ASYNC);
    while (read(q[0], buf, sizeof buf) == sizeof buf) {
        break;
    }
    take("pipe write end");
    drain();

    /* 5. A socket owned by this thread (F_OWNER_TID), turned on with FIOASYNC. */
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct f_owner_ex ex = { F_OWNER_TID, (pid_t)syscall(SYS_gettid) };
    printf("setown_ex tid: %d\n", fcntl(sv[0], F_SETOWN_EX, &ex));
    struct f_owner_ex got = { -1, -1 };
    fcntl(sv[0], F_GETOWN_EX, &got);
    printf("getown_ex: type %d is tid %d\n", got.type, got.pid == ex.pid);
    fcntl(sv[0], F_SETSIG, SIGRTMIN + 2);
    int on = 1;
    printf("fioasync: %d\n", ioctl(sv[0], FIOASYNC, &on));
    write(sv[1], "hello", 5);
    take("socket");
    read(sv[0], buf, 5);
    drain();

    /* 6. A process group owner: F_GETOWN reports it negative. */
    int r[2];
    pipe(r);
    printf("setown pgrp: %d\n", fcntl(r[0], F_SETOWN, -getpgrp()));
    printf("getown is -pgrp: %d\n", fcntl(r[0], F_GETOWN) == -getpgrp());
    fcntl(r[0], F_GETOWN_EX, &got);
    printf("getown_ex type: %d\n", got.type);
    fcntl(r[0], F_SETFL, O_ASYNC);
    write(r[1], "x", 1);
    take("pgrp owner");
    drain();

    /* 7. A regular file keeps O_ASYNC without effect. */
    int f = open("/tmp/sigio-file", O_CREAT | O_RDWR | O_TRUNC, 0600);
    fcntl(f, F_SETOWN, getpid());
    printf("regular setfl async: %d\n", fcntl(f, F_SETFL, O_ASYNC));
    printf("regular getfl has O_ASYNC: %d\n", (fcntl(f, F_GETFL) & O_ASYNC) != 0);
    write(f, "data", 4);
    none("regular file write");
    unlink("/tmp/sigio-file");

    /* 8. The checks. */
    struct f_owner_ex bad = { 7, getpid() };
    struct f_owner_ex missing = { F_OWNER_TID, 999999 };
    check("setown missing pid", fcntl(p[0], F_SETOWN, 999999));
    check("setown_ex bad type", fcntl(p[0], F_SETOWN_EX, &bad));
    check("setown_ex missing tid", fcntl(p[0], F_SETOWN_EX, &missing));
    check("setsig 65", fcntl(p[0], F_SETSIG, 65));
    check("setsig -1", fcntl(p[0], F_SETSIG, -1));
    check("setown 0", fcntl(p[0], F_SETOWN, 0));
    check("getown after 0", fcntl(p[0], F_GETOWN));
    printf("sigio: done\n");
    return 0;
}
