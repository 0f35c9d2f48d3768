/* unix_epoll: non-blocking AF_UNIX connect/accept and edge-triggered epoll as Linux has them - a
 * non-blocking listener (EAGAIN, one edge per new connection), the listen backlog (EAGAIN for a
 * non-blocking connect once full, a blocking connect that waits for accept), accept4 flags, data
 * edges (one per arrival, none while nothing new comes), RDHUP and HUP edges, the write-space edge
 * of a full stream, and the edge a connected datagram sender gets when a full receiver drains.
 * Deterministic output; exit 0 when all checks pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
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

static long res(long r) { return r < 0 ? -errno : r; }

/* Number of events (up to 8) within timeout ms; the first one's events in *ev. */
static int wait_ev(int ep, int timeout, unsigned *ev)
{
    struct epoll_event e[8];
    int n = epoll_wait(ep, e, 8, timeout);
    if (n > 0 && ev) *ev = e[0].events;
    return n < 0 ? -errno : n;
}

static int add(int ep, int fd, unsigned events)
{
    struct epoll_event e = { .events = events, .data.fd = fd };
    return res(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e));
}

static socklen_t addr_of(struct sockaddr_un *a, const char *name)
{
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    memcpy(a->sun_path + 1, name, strlen(name));
    return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
}

static void listener_edges(void)
{
    struct sockaddr_un a;
    unsigned ev = 0;

    printf("-- listener\n");
    socklen_t alen = addr_of(&a, "unix_epoll_listener");
    int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    bind(ls, (struct sockaddr *)&a, alen);
    listen(ls, 1);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    check("add listener ET", add(ep, ls, EPOLLIN | EPOLLET), 0);
    check("no connection yet", wait_ev(ep, 0, NULL), 0);
    check("accept without one", res(accept(ls, NULL, NULL)), -EAGAIN);
    int c1 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    check("non-blocking connect completes at once", res(connect(c1, (struct sockaddr *)&a, alen)), 0);
    check("an edge", wait_ev(ep, 1000, &ev), 1);
    check("EPOLLIN", ev, EPOLLIN);
    check("no second edge", wait_ev(ep, 0, NULL), 0);
    int c2 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    check("second connect", res(connect(c2, (struct sockaddr *)&a, alen)), 0);
    check("a new edge", wait_ev(ep, 1000, &ev), 1);
    int c3 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    check("backlog 1 holds two: the third", res(connect(c3, (struct sockaddr *)&a, alen)), -EAGAIN);
    check("no edge for it", wait_ev(ep, 0, NULL), 0);

    /* A blocking connect waits for room. */
    pid_t pid = fork();
    if (pid == 0) {
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        _exit(connect(c, (struct sockaddr *)&a, alen) == 0 ? 0 : 10 + errno);
    }
    usleep(200000);
    int s1 = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    check("accept4", s1 >= 0, 1);
    check("O_NONBLOCK from accept4", (fcntl(s1, F_GETFL) & O_NONBLOCK) != 0, 1);
    check("FD_CLOEXEC from accept4", fcntl(s1, F_GETFD), FD_CLOEXEC);
    int status = -1;
    waitpid(pid, &status, 0);
    check("the blocked connect got through", WIFEXITED(status) ? WEXITSTATUS(status) : 100, 0);
    check("its edge", wait_ev(ep, 1000, &ev), 1);
    int s2 = accept(ls, NULL, NULL);
    int s3 = accept(ls, NULL, NULL);
    check("two more accepted", s2 >= 0 && s3 >= 0, 1);
    check("accepted without flags is blocking", fcntl(s2, F_GETFL) & O_NONBLOCK, 0);
    check("then none", res(accept(ls, NULL, NULL)), -EAGAIN);
    check("the refused socket may connect now", res(connect(c3, (struct sockaddr *)&a, alen)), 0);
    int s4 = accept(ls, NULL, NULL);
    check("and is accepted", s4 >= 0, 1);

    /* Level-triggered keeps reporting; one-shot reports once. */
    int ep2 = epoll_create1(0);
    add(ep2, c1, EPOLLOUT);
    check("level-triggered", wait_ev(ep2, 0, &ev), 1);
    check("and again", wait_ev(ep2, 0, &ev), 1);
    struct epoll_event one = { .events = EPOLLOUT | EPOLLONESHOT, .data.fd = c1 };
    epoll_ctl(ep2, EPOLL_CTL_MOD, c1, &one);
    check("one-shot", wait_ev(ep2, 0, &ev), 1);
    check("only once", wait_ev(ep2, 0, &ev), 0);
    close(ep2);
    close(s1);
    close(s2);
    close(s3);
    close(s4);
    close(c1);
    close(c2);
    close(c3);
    close(ls);
    close(ep);
}

static void data_edges(void)
{
    int sp[2];
    unsigned ev = 0;
    char buf[4096];

    printf("-- data\n");
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp);
    int ep = epoll_create1(0);
    check("add ET", add(ep, sp[0], EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET), 0);
    check("writable at once", wait_ev(ep, 0, &ev), 1);
    check("EPOLLOUT", ev, EPOLLOUT);
    check("nothing new", wait_ev(ep, 0, NULL), 0);
    write(sp[1], "x", 1);
    check("data: an edge", wait_ev(ep, 1000, &ev), 1);
    check("IN and OUT", ev, EPOLLIN | EPOLLOUT);
    check("nothing new", wait_ev(ep, 0, NULL), 0);
    write(sp[1], "y", 1);
    check("more data: another edge", wait_ev(ep, 1000, &ev), 1);
    check("read both", res(read(sp[0], buf, sizeof(buf))), 2);
    check("drained", res(read(sp[0], buf, sizeof(buf))), -EAGAIN);
    check("no edge from reading", wait_ev(ep, 0, NULL), 0);
    shutdown(sp[1], SHUT_WR);
    check("peer's SHUT_WR: an edge", wait_ev(ep, 1000, &ev), 1);
    check("RDHUP", ev, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
    close(sp[1]);
    check("peer closed: an edge", wait_ev(ep, 1000, &ev), 1);
    check("HUP", ev, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLHUP);
    close(sp[0]);
    close(ep);

    /* A full stream: no edge until the reader frees space. */
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp);
    int sz = 16384;
    setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    ep = epoll_create1(0);
    add(ep, sp[0], EPOLLOUT | EPOLLET);
    check("writable", wait_ev(ep, 0, &ev), 1);
    long total = 0, w;
    memset(buf, 'z', sizeof(buf));
    while ((w = write(sp[0], buf, sizeof(buf))) > 0) total += w;
    check("filled until EAGAIN", w < 0 && errno == EAGAIN, 1);
    check("something was written", total > 0, 1);
    check("full: no edge", wait_ev(ep, 0, NULL), 0);
    long got = 0, r;
    while ((r = read(sp[1], buf, sizeof(buf))) > 0) got += r;
    check("all of it arrives", got == total, 1);
    check("space again: an edge", wait_ev(ep, 1000, &ev), 1);
    check("EPOLLOUT", ev, EPOLLOUT);
    check("just one", wait_ev(ep, 0, NULL), 0);
    close(sp[0]);
    close(sp[1]);
    close(ep);
}

static void datagram_edges(void)
{
    struct sockaddr_un a;
    unsigned ev = 0;
    char buf[16];

    printf("-- datagram\n");
    socklen_t alen = addr_of(&a, "unix_epoll_dgram");
    int r = socket(AF_UNIX, SOCK_DGRAM, 0);
    bind(r, (struct sockaddr *)&a, alen);
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    connect(s, (struct sockaddr *)&a, alen);
    int ep = epoll_create1(0);
    add(ep, s, EPOLLOUT | EPOLLET);
    check("writable", wait_ev(ep, 0, &ev), 1);
    int n = 0;
    while (n < 100 && send(s, "d", 1, 0) == 1) n++;
    check("the receiver's queue filled", n, 11);
    check("no edge while full", wait_ev(ep, 0, NULL), 0);
    int rep = epoll_create1(0);
    add(rep, r, EPOLLIN | EPOLLET);
    check("receiver readable", wait_ev(rep, 0, &ev), 1);
    check("one read", res(recv(r, buf, sizeof(buf), 0)), 1);
    check("the sender's edge", wait_ev(ep, 1000, &ev), 1);
    check("EPOLLOUT", ev, EPOLLOUT);
    check("send again", res(send(s, "d", 1, 0)), 1);
    check("a new message: receiver edge", wait_ev(rep, 1000, &ev), 1);
    close(rep);
    close(ep);
    close(s);
    close(r);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    listener_edges();
    data_edges();
    datagram_edges();
    printf("unix_epoll: %s (%d failures)\n", failures ? "FAIL" : "ok", failures);
    return failures ? 1 : 0;
}
