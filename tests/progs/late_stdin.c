/* late_stdin: poll, select and epoll on stdin (a host pipe handed to the container) see data that
 * arrives while they wait, then the writer's hang-up. The caller writes one line after about a
 * second per phase ("poll\n", "select\n", "epoll\n") and then closes the pipe. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void report(const char *how, int n, double waited)
{
    char line[64] = "";
    ssize_t r = n > 0 ? read(0, line, sizeof line - 1) : -1;
    if (r > 0) line[r] = 0;
    line[strcspn(line, "\n")] = 0;
    printf("%s: ready=%d waited=%s data=%s\n", how, n, waited > 0.3 && waited < 8 ? "yes" : "no", line);
    fflush(stdout);
}

int main(void)
{
    struct pollfd pfd = { .fd = 0, .events = POLLIN };
    double t0 = now();
    int n = poll(&pfd, 1, 10000);
    report("poll", n, now() - t0);

    fd_set set;
    FD_ZERO(&set);
    FD_SET(0, &set);
    struct timeval tv = { 10, 0 };
    t0 = now();
    n = select(1, &set, NULL, NULL, &tv);
    report("select", n, now() - t0);

    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
    epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
    struct epoll_event out;
    t0 = now();
    n = epoll_wait(ep, &out, 1, 10000);
    report("epoll", n, now() - t0);

    /* The writer closes: POLLHUP (and EOF). */
    pfd.revents = 0;
    n = poll(&pfd, 1, 10000);
    char c;
    printf("hangup: ready=%d hup=%d eof=%d\n", n, (pfd.revents & POLLHUP) != 0, read(0, &c, 1) == 0);
    return 0;
}
