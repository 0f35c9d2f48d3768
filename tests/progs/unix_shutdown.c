/* unix_shutdown: AF_UNIX stream connection ends as Linux has them - shutdown in each direction
 * (EOF, EPIPE with SIGPIPE unless MSG_NOSIGNAL), ECONNRESET for the peer of a socket closed with
 * unread data (once, after the queued data, also through SO_ERROR), a listener closed with
 * pending connections, unconnected and listening sockets (EINVAL, ENOTCONN, EOPNOTSUPP), poll
 * bits at each step, SO_RCVTIMEO/SO_SNDTIMEO (EAGAIN at the timeout, EINTR rather than a restart
 * when a signal interrupts a call that has a timeout), MSG_WAITALL, MSG_PEEK across writes,
 * SO_PEEK_OFF, FIONREAD, and a 3 MiB transfer. Deterministic output; exit 0 when all checks pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;
static volatile int sigpipes, alarms;

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

static void on_sigpipe(int sig) { (void)sig; sigpipes++; }
static void on_alarm(int sig) { (void)sig; alarms++; }

static int revents(int fd, short events)
{
    struct pollfd p = { .fd = fd, .events = events };
    return poll(&p, 1, 0) < 0 ? -errno : p.revents;
}

/* SIGALRM to this process in 100 ms, from a helper process (no interval timers needed). */
static pid_t alarm_soon(void)
{
    pid_t self = getpid(), pid = fork();
    if (pid == 0) {
        usleep(100000);
        kill(self, SIGALRM);
        _exit(0);
    }
    return pid;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int sock_error(int s)
{
    int e = -1;
    socklen_t l = sizeof(e);
    getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &l);
    return e;
}

static const short ALL = POLLIN | POLLOUT | POLLRDHUP | POLLPRI;

static void shutdowns(void)
{
    int sp[2];
    char buf[64];

    printf("-- shutdown\n");
    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    check("fresh pair polls writable", revents(sp[0], ALL), POLLOUT);
    write(sp[0], "abc", 3);
    check("data: readable", revents(sp[1], ALL), POLLIN | POLLOUT);
    check("shutdown(SHUT_WR)", res(shutdown(sp[0], SHUT_WR)), 0);
    check("writer still polls writable", revents(sp[0], ALL), POLLOUT);
    check("reader: data then RDHUP", revents(sp[1], ALL), POLLIN | POLLOUT | POLLRDHUP);
    check("read the data", res(read(sp[1], buf, sizeof(buf))), 3);
    check("then EOF", res(read(sp[1], buf, sizeof(buf))), 0);
    check("and EOF again", res(read(sp[1], buf, sizeof(buf))), 0);
    sigpipes = 0;
    check("write after SHUT_WR", res(write(sp[0], "x", 1)), -EPIPE);
    check("SIGPIPE", sigpipes, 1);
    check("send with MSG_NOSIGNAL", res(send(sp[0], "x", 1, MSG_NOSIGNAL)), -EPIPE);
    check("no SIGPIPE", sigpipes, 1);
    check("the other way still works", res(write(sp[1], "back", 4)), 4);
    check("read it", res(read(sp[0], buf, sizeof(buf))), 4);
    check("shutdown(SHUT_RD) of the reader", res(shutdown(sp[1], SHUT_RD)), 0);
    check("its peer may not write", res(send(sp[0], "x", 1, MSG_NOSIGNAL)), -EPIPE);
    check("reader after SHUT_RD", revents(sp[1], ALL), POLLIN | POLLOUT | POLLRDHUP);
    check("writer after its peer's SHUT_RD", revents(sp[0], ALL), POLLOUT);
    check("shutdown(SHUT_WR) of the reader", res(shutdown(sp[1], SHUT_WR)), 0);
    check("both directions down: hang-up", revents(sp[1], ALL), POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
    check("and on the other side", revents(sp[0], ALL), POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
    check("shutdown bad how", res(shutdown(sp[0], 7)), -EINVAL);
    close(sp[0]);
    close(sp[1]);
}

static void resets(void)
{
    int sp[2];
    char buf[64];

    printf("-- close with unread data\n");
    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    write(sp[0], "unread", 6);
    write(sp[1], "mine", 4);
    close(sp[1]);
    check("peer of a close with unread data", revents(sp[0], ALL), POLLIN | POLLOUT | POLLRDHUP | POLLHUP | POLLERR);
    check("queued data first", res(read(sp[0], buf, sizeof(buf))), 4);
    check("then ECONNRESET", res(read(sp[0], buf, sizeof(buf))), -ECONNRESET);
    check("then EOF", res(read(sp[0], buf, sizeof(buf))), 0);
    check("error gone", revents(sp[0], ALL) & POLLERR, 0);
    sigpipes = 0;
    check("write to it", res(write(sp[0], "x", 1)), -EPIPE);
    check("SIGPIPE", sigpipes, 1);
    close(sp[0]);

    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    write(sp[0], "unread", 6);
    close(sp[1]);
    check("SO_ERROR", sock_error(sp[0]), ECONNRESET);
    check("SO_ERROR is cleared by reading it", sock_error(sp[0]), 0);
    check("so the read is EOF", res(read(sp[0], buf, sizeof(buf))), 0);
    close(sp[0]);

    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    close(sp[1]);
    check("peer of a clean close", revents(sp[0], ALL), POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
    check("reads EOF", res(read(sp[0], buf, sizeof(buf))), 0);
    close(sp[0]);
}

static void unconnected(void)
{
    char buf[16];
    struct sockaddr_un a = { .sun_family = AF_UNIX };

    printf("-- unconnected and listening sockets\n");
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    check("poll", revents(s, ALL), POLLOUT | POLLHUP);
    check("read", res(read(s, buf, sizeof(buf))), -EINVAL);
    check("write", res(send(s, "x", 1, MSG_NOSIGNAL)), -ENOTCONN);
    check("shutdown", res(shutdown(s, SHUT_RDWR)), 0);
    socklen_t l = sizeof(a);
    check("getpeername", res(getpeername(s, (struct sockaddr *)&a, &l)), -ENOTCONN);
    check("listen unbound", res(listen(s, 1)), -EINVAL);
    check("accept not listening", res(accept(s, NULL, NULL)), -EINVAL);
    close(s);
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    check("listen datagram", res(listen(d, 1)), -EOPNOTSUPP);
    check("accept datagram", res(accept(d, NULL, NULL)), -EOPNOTSUPP);
    check("datagram poll", revents(d, ALL), POLLOUT);
    close(d);

    strcpy(a.sun_path + 1, "unix_shutdown_listener");
    socklen_t alen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen("unix_shutdown_listener");
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    bind(ls, (struct sockaddr *)&a, alen);
    listen(ls, 4);
    check("listener poll", revents(ls, ALL), 0);
    int v = -1;
    socklen_t vl = sizeof(v);
    getsockopt(ls, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl);
    check("SO_ACCEPTCONN", v, 1);
    check("listener read", res(read(ls, buf, sizeof(buf))), -EINVAL);
    check("listener FIONREAD", res(ioctl(ls, FIONREAD, &v)), -EINVAL);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    check("connect", res(connect(c, (struct sockaddr *)&a, alen)), 0);
    check("connect again", res(connect(c, (struct sockaddr *)&a, alen)), -EISCONN);
    check("listener readable", revents(ls, ALL), POLLIN);
    check("client writes before accept", res(write(c, "early", 5)), 5);
    close(ls);
    check("listener closed with the connection pending", revents(c, ALL), POLLIN | POLLOUT | POLLRDHUP | POLLHUP | POLLERR);
    check("client read", res(read(c, buf, sizeof(buf))), -ECONNRESET);
    close(c);
}

static void timeouts(void)
{
    int sp[2];
    char buf[64];
    struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 }, got;
    socklen_t gl = sizeof(got);

    printf("-- timeouts and signals\n");
    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    check("SO_RCVTIMEO", res(setsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))), 0);
    getsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO, &got, &gl);
    check("reads back", got.tv_sec * 1000000 + got.tv_usec, 100000);
    long t0 = now_ms();
    check("recv times out", res(recv(sp[0], buf, sizeof(buf), 0)), -EAGAIN);
    long el = now_ms() - t0;
    check("after about the timeout", el >= 90 && el < 3000, 1);
    struct timeval bad = { .tv_sec = 0, .tv_usec = 1000000 };
    check("tv_usec out of range", res(setsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO, &bad, sizeof(bad))), -EDOM);
    check("short option", res(setsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO, &bad, 8)), -EINVAL);

    /* A signal with SA_RESTART: a call with a timeout answers EINTR; one without is restarted. */
    struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
    sigaction(SIGALRM, &sa, NULL);
    tv.tv_sec = 5;
    tv.tv_usec = 0;
    setsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    pid_t helper = alarm_soon();
    check("interrupted recv with a timeout", res(recv(sp[0], buf, sizeof(buf), 0)), -EINTR);
    waitpid(helper, NULL, 0);
    check("the alarm ran", alarms, 1);
    tv.tv_sec = 0;
    setsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    pid_t pid = fork();
    if (pid == 0) {
        usleep(400000);
        write(sp[1], "late", 4);
        _exit(0);
    }
    helper = alarm_soon();
    check("interrupted recv without a timeout is restarted", res(recv(sp[0], buf, sizeof(buf), 0)), 4);
    check("the alarm ran", alarms, 2);
    waitpid(pid, NULL, 0);
    waitpid(helper, NULL, 0);
    sa.sa_flags = 0;
    sigaction(SIGALRM, &sa, NULL);
    helper = alarm_soon();
    check("without SA_RESTART: EINTR", res(recv(sp[0], buf, sizeof(buf), 0)), -EINTR);
    waitpid(helper, NULL, 0);

    /* SO_SNDTIMEO: a full connection times out; what was written is reported. */
    int sz = 4096;
    setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    tv.tv_sec = 0;
    tv.tv_usec = 100000;
    setsockopt(sp[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    char *big = calloc(1, 1 << 20);
    long w = res(write(sp[0], big, 1 << 20));
    check("a large write returns what fit", w > 0 && w < (1 << 20), 1);
    t0 = now_ms();
    check("the next one times out", res(write(sp[0], big, 1 << 20)), -EAGAIN);
    el = now_ms() - t0;
    check("after about the timeout", el >= 90 && el < 3000, 1);
    free(big);
    close(sp[0]);
    close(sp[1]);
}

static void reads(void)
{
    int sp[2], v;
    char buf[64];

    printf("-- reads\n");
    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    pid_t pid = fork();
    if (pid == 0) {
        const char *parts[] = { "abc", "def", "ghi" };
        for (int i = 0; i < 3; i++) {
            usleep(50000);
            write(sp[1], parts[i], 3);
        }
        usleep(50000);
        write(sp[1], "jkl", 3);
        close(sp[1]);
        _exit(0);
    }
    close(sp[1]);
    memset(buf, 0, sizeof(buf));
    check("MSG_WAITALL waits for all", res(recv(sp[0], buf, 9, MSG_WAITALL)), 9);
    check("in order", strcmp(buf, "abcdefghi"), 0);
    check("MSG_WAITALL stops at EOF", res(recv(sp[0], buf, 9, MSG_WAITALL)), 3);
    waitpid(pid, NULL, 0);
    close(sp[0]);

    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    write(sp[0], "ab", 2);
    write(sp[0], "cd", 2);
    memset(buf, 0, sizeof(buf));
    check("peek across writes", res(recv(sp[1], buf, sizeof(buf), MSG_PEEK)), 4);
    ioctl(sp[1], FIONREAD, &v);
    check("FIONREAD after a peek", v, 4);
    int off = 1;
    setsockopt(sp[1], SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off));
    memset(buf, 0, sizeof(buf));
    check("peek at offset 1", res(recv(sp[1], buf, 2, MSG_PEEK)), 2);
    check("data at offset 1", strcmp(buf, "bc"), 0);
    check("read one", res(recv(sp[1], buf, 1, 0)), 1);
    socklen_t ol = sizeof(off);
    getsockopt(sp[1], SOL_SOCKET, SO_PEEK_OFF, &off, &ol);
    check("peek offset after the read", off, 2);
    check("read the rest", res(recv(sp[1], buf, sizeof(buf), 0)), 3);
    ioctl(sp[1], FIONREAD, &v);
    check("FIONREAD empty", v, 0);
    close(sp[0]);
    close(sp[1]);

    /* 3 MiB through a connection, with a checksum. */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    pid = fork();
    if (pid == 0) {
        close(sp[0]);
        unsigned char chunk[7919];
        unsigned long n = 0;
        while (n < 3u << 20) {
            size_t len = sizeof(chunk);
            if (len > (3u << 20) - n) len = (3u << 20) - n;
            for (size_t i = 0; i < len; i++) chunk[i] = (unsigned char)((n + i) * 131);
            ssize_t w = write(sp[1], chunk, len);
            if (w <= 0) _exit(1);
            n += w;
            if ((size_t)w < len) {
                /* the rest of the chunk is written next time round with the right pattern */
            }
        }
        _exit(0);
    }
    close(sp[1]);
    unsigned long total = 0, bad = 0;
    unsigned char rb[10007];
    ssize_t r;
    while ((r = read(sp[0], rb, sizeof(rb))) > 0) {
        for (ssize_t i = 0; i < r; i++)
            if (rb[i] != (unsigned char)((total + i) * 131)) bad++;
        total += r;
    }
    int status = -1;
    waitpid(pid, &status, 0);
    check("3 MiB received", total, 3u << 20);
    check("intact", bad, 0);
    check("writer exit", WIFEXITED(status) ? WEXITSTATUS(status) : 100, 0);
    close(sp[0]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, on_sigpipe);
    shutdowns();
    resets();
    unconnected();
    timeouts();
    reads();
    printf("unix_shutdown: %s (%d failures)\n", failures ? "FAIL" : "ok", failures);
    return failures ? 1 : 0;
}
