/* unix_seqpacket: AF_UNIX SOCK_SEQPACKET and SOCK_DGRAM as Linux has them - message boundaries
 * (zero-length records too), MSG_TRUNC both ways, MSG_PEEK and SO_PEEK_OFF, MSG_EOR, FIONREAD,
 * SO_SNDBUF doubling and EMSGSIZE, EOF and EPIPE without SIGPIPE, datagram names (recvfrom of a
 * named and an unnamed sender), connected datagram sockets (EPERM for strangers, ECONNREFUSED
 * once the peer closed, AF_UNSPEC), the max_dgram_qlen limit (EAGAIN, POLLOUT back after a read).
 * Deterministic output; exit 0 when all checks pass. */
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
#include <unistd.h>

static int failures;
static volatile int sigpipes;

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

static long recv_flags(int s, char *buf, size_t len, int flags, int *msgflags)
{
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    long n = res(recvmsg(s, &msg, flags));
    *msgflags = msg.msg_flags;
    return n;
}

static int revents(int fd, short events)
{
    struct pollfd p = { .fd = fd, .events = events };
    return poll(&p, 1, 0) < 0 ? -errno : p.revents;
}

static void boundaries(int type, const char *name)
{
    int sp[2], mf, v;
    char buf[64];
    socklen_t vl = sizeof(v);

    printf("-- %s pair\n", name);
    check("socketpair", res(socketpair(AF_UNIX, type, 0, sp)), 0);
    getsockopt(sp[0], SOL_SOCKET, SO_TYPE, &v, &vl);
    check("SO_TYPE", v, type);
    check("send 5", res(send(sp[0], "hello", 5, 0)), 5);
    check("send empty", res(send(sp[0], "", 0, 0)), 0);
    check("send 10 with MSG_EOR", res(send(sp[0], "0123456789", 10, MSG_EOR)), 10);
    check("send 3", res(send(sp[0], "abc", 3, 0)), 3);
    v = -1;
    ioctl(sp[1], FIONREAD, &v);
    check("FIONREAD", v, type == SOCK_SEQPACKET ? 18 : 5);
    check("first record", recv_flags(sp[1], buf, sizeof(buf), 0, &mf), 5);
    check("no MSG_TRUNC", mf & MSG_TRUNC, 0);
    check("empty record", recv_flags(sp[1], buf, sizeof(buf), 0, &mf), 0);
    check("peek of a truncated record", recv_flags(sp[1], buf, 4, MSG_PEEK, &mf), 4);
    check("peek MSG_TRUNC", mf & MSG_TRUNC, MSG_TRUNC);
    check("truncated read, real length asked", recv_flags(sp[1], buf, 4, MSG_TRUNC, &mf), 10);
    check("MSG_TRUNC flag", mf & MSG_TRUNC, MSG_TRUNC);
    check("the rest went with it", recv_flags(sp[1], buf, sizeof(buf), 0, &mf), 3);
    check("empty queue", recv_flags(sp[1], buf, sizeof(buf), MSG_DONTWAIT, &mf), -EAGAIN);

    /* SO_PEEK_OFF: peeks walk the queue; a read moves the offset back. */
    send(sp[0], "one", 3, 0);
    send(sp[0], "two!", 4, 0);
    int off = 0;
    check("SO_PEEK_OFF", res(setsockopt(sp[1], SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off))), 0);
    memset(buf, 0, sizeof(buf));
    check("peek at offset 0", recv_flags(sp[1], buf, sizeof(buf), MSG_PEEK, &mf), 3);
    check("peek at offset 3 reaches the second", recv_flags(sp[1], buf, sizeof(buf), MSG_PEEK, &mf), 4);
    check("second's data", strncmp(buf, "two!", 4), 0);
    vl = sizeof(off);
    getsockopt(sp[1], SOL_SOCKET, SO_PEEK_OFF, &off, &vl);
    check("peek offset advanced", off, 7);
    check("read the first", recv_flags(sp[1], buf, sizeof(buf), 0, &mf), 3);
    vl = sizeof(off);
    getsockopt(sp[1], SOL_SOCKET, SO_PEEK_OFF, &off, &vl);
    check("peek offset moved back", off, 4);
    check("read the second", recv_flags(sp[1], buf, sizeof(buf), 0, &mf), 4);

    /* SO_SNDBUF is doubled, has a minimum, and bounds one message. */
    v = 8192;
    setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
    vl = sizeof(v);
    getsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &v, &vl);
    check("SO_SNDBUF doubled", v, 16384);
    char *big = calloc(1, 16384);
    check("message of sndbuf - 32", res(send(sp[0], big, 16352, 0)), 16352);
    check("message of sndbuf - 31", res(send(sp[0], big, 16353, 0)), -EMSGSIZE);
    check("read it", res(recv(sp[1], big, 16384, 0)), 16352);
    v = 1;
    setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
    vl = sizeof(v);
    getsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &v, &vl);
    check("SO_SNDBUF minimum", v, 4608);
    free(big);

    /* Shutdown and close: no SIGPIPE for record sockets. */
    sigpipes = 0;
    check("shutdown write", res(shutdown(sp[0], SHUT_WR)), 0);
    check("send after shutdown", res(send(sp[0], "x", 1, 0)), -EPIPE);
    if (type == SOCK_SEQPACKET) {
        check("peer reads EOF", recv_flags(sp[1], buf, sizeof(buf), 0, &mf), 0);
        check("peer polls RDHUP", revents(sp[1], POLLIN | POLLRDHUP), POLLIN | POLLRDHUP);
    } else {
        check("datagram peer does not see EOF", recv_flags(sp[1], buf, sizeof(buf), MSG_DONTWAIT, &mf), -EAGAIN);
    }
    send(sp[1], "late", 4, 0);
    check("the shut-down side still reads", res(recv(sp[0], buf, sizeof(buf), 0)), 4);
    close(sp[0]);
    check("send to a closed peer", res(send(sp[1], "x", 1, 0)), type == SOCK_SEQPACKET ? -EPIPE : -ECONNREFUSED);
    check("no SIGPIPE", sigpipes, 0);
    if (type == SOCK_SEQPACKET) {
        check("recv after peer closed", recv_flags(sp[1], buf, sizeof(buf), 0, &mf), 0);
        check("poll after peer closed", revents(sp[1], POLLIN | POLLOUT | POLLRDHUP), POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
    } else {
        check("datagram send after the refusal", res(send(sp[1], "x", 1, 0)), -ENOTCONN);
    }
    close(sp[1]);
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    memcpy(a->sun_path + 1, name, strlen(name));
    return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
}

static void datagrams(void)
{
    struct sockaddr_un sa, ca, from;
    socklen_t fl;
    char buf[64];

    printf("-- datagram names and connections\n");
    socklen_t slen = abstract_addr(&sa, "unix_seqpacket_server");
    socklen_t clen = abstract_addr(&ca, "unix_seqpacket_client");
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    check("bind server", res(bind(s, (struct sockaddr *)&sa, slen)), 0);
    int c = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    check("send without a destination", res(send(c, "x", 1, 0)), -ENOTCONN);
    check("sendto a missing name", res(sendto(c, "x", 1, 0, (struct sockaddr *)&ca, clen)), -ECONNREFUSED);
    check("sendto from an unnamed socket", res(sendto(c, "anon", 4, 0, (struct sockaddr *)&sa, slen)), 4);
    fl = sizeof(from);
    check("recvfrom", res(recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl)), 4);
    check("no name for an unnamed sender", fl, 0);
    check("bind client", res(bind(c, (struct sockaddr *)&ca, clen)), 0);
    sendto(c, "named", 5, 0, (struct sockaddr *)&sa, slen);
    fl = sizeof(from);
    check("recvfrom a named sender", res(recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl)), 5);
    check("sender's name length", fl, clen);
    check("sender's name", memcmp(&from, &ca, clen), 0);

    /* A socket connected to another receives only from it. */
    check("server connects to the client", res(connect(s, (struct sockaddr *)&ca, clen)), 0);
    int stranger = socket(AF_UNIX, SOCK_DGRAM, 0);
    check("a stranger may not send to it", res(sendto(stranger, "x", 1, 0, (struct sockaddr *)&sa, slen)), -EPERM);
    check("its peer may", res(sendto(c, "peer", 4, 0, (struct sockaddr *)&sa, slen)), 4);
    check("received", res(recv(s, buf, sizeof(buf), 0)), 4);
    struct sockaddr unspec = { .sa_family = AF_UNSPEC };
    check("AF_UNSPEC disconnects", res(connect(s, &unspec, sizeof(unspec))), 0);
    check("now the stranger may", res(sendto(stranger, "x", 1, 0, (struct sockaddr *)&sa, slen)), 1);
    recv(s, buf, sizeof(buf), 0);
    socklen_t pl = sizeof(from);
    check("getpeername after AF_UNSPEC", res(getpeername(s, (struct sockaddr *)&from, &pl)), -ENOTCONN);
    close(stranger);

    /* max_dgram_qlen: a receiver that is not connected back holds 11 messages (more than 10). */
    check("client connects to the server", res(connect(c, (struct sockaddr *)&sa, slen)), 0);
    int sent = 0;
    while (sent < 100 && send(c, "q", 1, 0) == 1) sent++;
    check("messages queued before EAGAIN", sent, 11);
    check("then", res(send(c, "q", 1, 0)), -EAGAIN);
    check("the sender is not writable", revents(c, POLLOUT) & POLLOUT, 0);
    check("one read", res(recv(s, buf, sizeof(buf), 0)), 1);
    check("writable again", revents(c, POLLOUT) & POLLOUT, POLLOUT);
    check("and can send", res(send(c, "q", 1, 0)), 1);
    while (recv(s, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
    }

    /* A connected peer that closes: the next send is refused, then there is no peer. */
    close(s);
    check("send to the closed server", res(send(c, "x", 1, 0)), -ECONNREFUSED);
    check("and then", res(send(c, "x", 1, 0)), -ENOTCONN);
    close(c);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, on_sigpipe);
    boundaries(SOCK_SEQPACKET, "SOCK_SEQPACKET");
    boundaries(SOCK_DGRAM, "SOCK_DGRAM");
    datagrams();
    printf("unix_seqpacket: %s (%d failures)\n", failures ? "FAIL" : "ok", failures);
    return failures ? 1 : 0;
}
