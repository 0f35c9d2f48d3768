/* epoll_edge: epoll semantics as Linux has them - edge- and level-triggered reports, one-shot,
 * nested instances, registrations that live as long as the file description, hang-ups, errors,
 * and a wait woken by a write from another process. Deterministic output; exit 0 when all pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <signal.h>
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
}

static int wait_n(int ep, int timeout, unsigned *events, unsigned long *data)
{
    struct epoll_event ev[8];
    int n = epoll_wait(ep, ev, 8, timeout);
    if (n > 0 && events) *events = ev[0].events;
    if (n > 0 && data) *data = ev[0].data.u64;
    return n;
}

static int add(int ep, int fd, unsigned events, unsigned long data)
{
    struct epoll_event ev = { .events = events, .data.u64 = data };
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : -errno;
}

static int mod(int ep, int fd, unsigned events, unsigned long data)
{
    struct epoll_event ev = { .events = events, .data.u64 = data };
    return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) == 0 ? 0 : -errno;
}

int main(void)
{
    int p[2];
    char buf[64];
    unsigned ev;
    unsigned long data;

    signal(SIGPIPE, SIG_IGN);
    /* Edge-triggered: one report per write, none while nothing new arrives. */
    pipe(p);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    check("et add", add(ep, p[0], EPOLLIN | EPOLLET, 7), 0);
    check("et empty", wait_n(ep, 0, NULL, NULL), 0);
    write(p[1], "a", 1);
    check("et after write", wait_n(ep, 0, &ev, &data), 1);
    check("et events", ev, EPOLLIN);
    check("et data", data, 7);
    check("et again (no new edge)", wait_n(ep, 0, NULL, NULL), 0);
    write(p[1], "b", 1);
    check("et second write", wait_n(ep, 0, NULL, NULL), 1);
    read(p[0], buf, sizeof buf);
    check("et drained", wait_n(ep, 0, NULL, NULL), 0);

    /* Level-triggered: reported while data is there. */
    check("lt mod", mod(ep, p[0], EPOLLIN, 8), 0);
    write(p[1], "c", 1);
    check("lt 1", wait_n(ep, 0, NULL, NULL), 1);
    check("lt 2", wait_n(ep, 0, NULL, &data), 1);
    check("lt data", data, 8);
    read(p[0], buf, sizeof buf);
    check("lt drained", wait_n(ep, 0, NULL, NULL), 0);

    /* One-shot: once, then disarmed until EPOLL_CTL_MOD. */
    check("oneshot mod", mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 9), 0);
    write(p[1], "d", 1);
    check("oneshot first", wait_n(ep, 0, NULL, NULL), 1);
    check("oneshot disarmed", wait_n(ep, 0, NULL, NULL), 0);
    write(p[1], "e", 1);
    check("oneshot still disarmed", wait_n(ep, 0, NULL, NULL), 0);
    check("oneshot rearm", mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 9), 0);
    check("oneshot after rearm", wait_n(ep, 0, NULL, NULL), 1);
    read(p[0], buf, sizeof buf);

    /* Errors. */
    check("add twice", add(ep, p[0], EPOLLIN, 0), -EEXIST);
    check("mod unknown", mod(ep, p[1] + 100, EPOLLIN, 0), -EBADF);
    check("del unregistered", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL) == 0 ? 0 : -errno, -ENOENT);
    check("exclusive with mod", mod(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 0), -EINVAL);
    check("add self", add(ep, ep, EPOLLIN, 0), -EINVAL);
    int reg = open("/etc/passwd", O_RDONLY);
    check("regular file", add(ep, reg, EPOLLIN, 0), -EPERM);
    close(reg);

    /* Nested: an outer instance sees the inner one become ready; a cycle is refused. */
    int inner = epoll_create1(0), outer = epoll_create1(0);
    int q[2];
    pipe(q);
    check("inner add", add(inner, q[0], EPOLLIN, 1), 0);
    check("outer add inner", add(outer, inner, EPOLLIN, 2), 0);
    check("cycle", add(inner, outer, EPOLLIN, 3), -ELOOP);
    check("outer empty", wait_n(outer, 0, NULL, NULL), 0);
    write(q[1], "x", 1);
    check("outer ready", wait_n(outer, 0, &ev, &data), 1);
    check("outer data", data, 2);
    struct pollfd pf = { .fd = inner, .events = POLLIN };
    check("poll on inner", poll(&pf, 1, 0), 1);
    read(q[0], buf, sizeof buf);
    check("inner drained", wait_n(inner, 0, NULL, NULL), 0);
    check("outer drained", wait_n(outer, 0, NULL, NULL), 0);

    /* A registration follows the file description, not the fd number. */
    int d = dup(q[0]);
    close(q[0]);
    write(q[1], "y", 1);
    check("closed fd, dup open: still reported", wait_n(inner, 0, NULL, &data), 1);
    read(d, buf, sizeof buf);
    close(d);
    write(q[1], "z", 1);
    check("all closed: gone", wait_n(inner, 0, NULL, NULL), 0);

    /* Hang-up when the writer goes. */
    int h[2];
    pipe(h);
    check("hup add", add(ep, h[0], EPOLLIN | EPOLLRDHUP | EPOLLET, 4), 0);
    close(h[1]);
    check("hup reported", wait_n(ep, 0, &ev, NULL), 1);
    check("hup events", ev & (EPOLLIN | EPOLLHUP), EPOLLHUP);

    /* Socket pair: EPOLLRDHUP after the peer shuts down its writing side. */
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    check("rdhup add", add(ep, sv[0], EPOLLIN | EPOLLRDHUP, 5), 0);
    shutdown(sv[1], SHUT_WR);
    check("rdhup reported", wait_n(ep, 100, &ev, NULL), 1);
    check("rdhup events", ev & (EPOLLIN | EPOLLRDHUP), EPOLLIN | EPOLLRDHUP);
    epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL);

    /* eventfd, edge-triggered: each write is an edge. */
    int efd = eventfd(0, EFD_NONBLOCK);
    int ep2 = epoll_create1(0);
    check("eventfd add", add(ep2, efd, EPOLLIN | EPOLLOUT | EPOLLET, 6), 0);
    check("eventfd writable", wait_n(ep2, 0, &ev, NULL), 1);
    check("eventfd writable events", ev, EPOLLOUT);
    check("eventfd no edge", wait_n(ep2, 0, NULL, NULL), 0);
    unsigned long long one = 1;
    write(efd, &one, 8);
    check("eventfd edge", wait_n(ep2, 0, &ev, NULL), 1);
    check("eventfd events", ev, EPOLLIN | EPOLLOUT);

    /* A blocked wait is woken by another process's write. */
    int w[2];
    pipe(w);
    int ep3 = epoll_create1(0);
    add(ep3, w[0], EPOLLIN, 11);
    pid_t child = fork();
    if (child == 0) {
        struct timespec ts = { 0, 200 * 1000 * 1000 };
        nanosleep(&ts, NULL);
        write(w[1], "late", 4);
        _exit(0);
    }
    check("blocked wait woken", wait_n(ep3, 5000, NULL, &data), 1);
    check("blocked wait data", data, 11);
    int status;
    waitpid(child, &status, 0);

    /* Timeout expires with nothing. */
    check("timeout", wait_n(ep3 == 0 ? 0 : ep2, 50, NULL, NULL), 0);
    check("maxevents 0", epoll_wait(ep, (struct epoll_event *)buf, 0, 0) < 0 ? -errno : 0, -EINVAL);

    printf("epoll_edge: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
