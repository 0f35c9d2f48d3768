/* net_inet: TCP and UDP over loopback (IPv4 and IPv6) as Linux has them - blocking and
 * non-blocking connect/accept with edge-triggered epoll, EINPROGRESS then SO_ERROR, MSG_PEEK,
 * MSG_WAITALL, shutdown and EOF, EPIPE, ECONNREFUSED, EADDRINUSE, SO_RCVTIMEO, getsockname,
 * UDP echo with recvfrom addresses, recvmmsg/sendmmsg, FIONREAD, errors for bad arguments.
 * Needs a network namespace with loopback up. Deterministic output; exit 0 when all pass. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(const char *what, long got, long want)
{
    if (got == want) printf("ok   %s = %ld\n", what, got);
    else { printf("FAIL %s = %ld (want %ld)\n", what, got, want); failures++; }
}

#define E(x) ({ long _r = (long)(x); _r < 0 ? -errno : _r; })

static socklen_t addr_of(int family, int port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return sizeof *a;
    }
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    a->sin6_addr = in6addr_loopback;
    return sizeof *a;
}

static int port_of(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &len);
    return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void tcp(int family, const char *name)
{
    char what[128], buf[256];
    struct sockaddr_storage ss;
    socklen_t len;
    printf("-- tcp %s\n", name);

    int ls = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    check("reuseaddr", E(setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one)), 0);
    len = addr_of(family, 0, &ss);
    check("bind ephemeral", E(bind(ls, (struct sockaddr *)&ss, len)), 0);
    int port = port_of(ls);
    check("port assigned", port > 0, 1);
    check("listen", E(listen(ls, 16)), 0);
    int acc = 0;
    socklen_t al = sizeof acc;
    getsockopt(ls, SOL_SOCKET, SO_ACCEPTCONN, &acc, &al);
    check("SO_ACCEPTCONN", acc, 1);

    /* Second bind to the same port without SO_REUSEPORT. */
    int other = socket(family, SOCK_STREAM, 0);
    len = addr_of(family, port, &ss);
    check("bind in use", E(bind(other, (struct sockaddr *)&ss, len)), -EADDRINUSE);
    close(other);

    /* Non-blocking connect, edge-triggered epoll on both sides. */
    int c = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int r = connect(c, (struct sockaddr *)&ss, len);
    check("nonblocking connect", r == 0 || errno == EINPROGRESS, 1);
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u32 = 1 };
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    ev.events = EPOLLOUT | EPOLLET;
    ev.data.u32 = 2;
    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
    int sawListen = 0, sawConnect = 0;
    for (int i = 0; i < 10 && !(sawListen && sawConnect); i++) {
        struct epoll_event out[4];
        int n = epoll_wait(ep, out, 4, 1000);
        for (int j = 0; j < n; j++) {
            if (out[j].data.u32 == 1) sawListen = 1;
            if (out[j].data.u32 == 2) sawConnect = 1;
        }
    }
    check("epoll: listener readable", sawListen, 1);
    check("epoll: connect writable", sawConnect, 1);
    int err = -1;
    socklen_t el = sizeof err;
    getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &el);
    check("SO_ERROR after connect", err, 0);
    struct sockaddr_storage peer;
    socklen_t pl = sizeof peer;
    int s = accept4(ls, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK);
    check("accept4", s >= 0, 1);
    check("peer family", peer.ss_family, family);
    check("peer len", pl, family == AF_INET ? (long)sizeof(struct sockaddr_in) : (long)sizeof(struct sockaddr_in6));
    fcntl(ls, F_SETFL, O_NONBLOCK);
    check("accept again: EAGAIN", E(accept(ls, NULL, NULL)), -EAGAIN);
    check("nodelay", E(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one)), 0);

    /* Data both ways; MSG_PEEK; FIONREAD; edge on new data. */
    ev.events = EPOLLIN | EPOLLET | EPOLLRDHUP;
    ev.data.u32 = 3;
    epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
    check("send", send(c, "hello world", 11, 0), 11);
    struct epoll_event out[4];
    check("epoll: data edge", epoll_wait(ep, out, 4, 2000) >= 1, 1);
    int avail = 0;
    ioctl(s, FIONREAD, &avail);
    check("FIONREAD", avail, 11);
    check("peek", recv(s, buf, 5, MSG_PEEK), 5);
    check("recv", recv(s, buf, sizeof buf, 0), 11);
    buf[11] = 0;
    check("content", strcmp(buf, "hello world"), 0);
    check("recv empty nonblocking", E(recv(s, buf, sizeof buf, 0)), -EAGAIN);

    /* MSG_WAITALL gathers two writes. */
    fcntl(c, F_SETFL, 0);
    int sb = fcntl(s, F_GETFL);
    fcntl(s, F_SETFL, sb & ~O_NONBLOCK);
    pid_t kid = fork();
    if (kid == 0) {
        struct timespec ts = { 0, 100 * 1000 * 1000 };
        write(c, "abc", 3);
        nanosleep(&ts, NULL);
        write(c, "def", 3);
        _exit(0);
    }
    check("waitall", recv(s, buf, 6, MSG_WAITALL), 6);
    waitpid(kid, NULL, 0);

    /* SO_RCVTIMEO: EAGAIN after the timeout. */
    struct timeval tv = { 0, 200 * 1000 };
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct timeval got;
    socklen_t gl = sizeof got;
    getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &got, &gl);
    check("SO_RCVTIMEO read back (us)", got.tv_usec, 200000);
    check("recv times out", E(recv(s, buf, sizeof buf, 0)), -EAGAIN);

    /* Half close: EOF for the reader, EPOLLRDHUP, the other way still works. */
    shutdown(c, SHUT_WR);
    check("eof after shutdown", recv(s, buf, sizeof buf, 0), 0);
    struct pollfd pf = { .fd = s, .events = POLLIN | POLLRDHUP };
    poll(&pf, 1, 1000);
    check("POLLRDHUP", (pf.revents & POLLRDHUP) != 0, 1);
    check("reply after half close", send(s, "bye", 3, 0), 3);
    check("read reply", recv(c, buf, sizeof buf, 0), 3);

    /* Peer gone: EPIPE (SIGPIPE ignored here) and ECONNRESET-or-EPIPE pattern. */
    close(s);
    struct timespec ts = { 0, 50 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    send(c, "x", 1, MSG_NOSIGNAL);
    nanosleep(&ts, NULL);
    r = send(c, "x", 1, MSG_NOSIGNAL);
    check("send to closed peer fails", r < 0 && (errno == EPIPE || errno == ECONNRESET), 1);
    close(c);

    /* Connection refused on a port nobody listens on. */
    int port2 = port;
    close(ls);
    c = socket(family, SOCK_STREAM, 0);
    len = addr_of(family, port2, &ss);
    check("connect refused", E(connect(c, (struct sockaddr *)&ss, len)), -ECONNREFUSED);
    close(c);
    close(ep);
    snprintf(what, sizeof what, "tcp %s done", name);
    check(what, 1, 1);
}

static void udp(int family, const char *name)
{
    char buf[256];
    struct sockaddr_storage ss, from;
    printf("-- udp %s\n", name);
    int a = socket(family, SOCK_DGRAM, 0), b = socket(family, SOCK_DGRAM, 0);
    socklen_t len = addr_of(family, 0, &ss);
    bind(a, (struct sockaddr *)&ss, len);
    int pa = port_of(a);
    len = addr_of(family, pa, &ss);
    check("sendto", sendto(b, "ping", 4, 0, (struct sockaddr *)&ss, len), 4);
    socklen_t fl = sizeof from;
    check("recvfrom", recvfrom(a, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl), 4);
    check("from family", from.ss_family, family);
    check("echo", sendto(a, "pong", 4, 0, (struct sockaddr *)&from, fl), 4);
    check("echo back", recv(b, buf, sizeof buf, 0), 4);
    /* Message boundaries and truncation. */
    sendto(b, "0123456789", 10, 0, (struct sockaddr *)&ss, len);
    check("truncated", recv(a, buf, 4, MSG_TRUNC), 10);
    sendto(b, "abc", 3, 0, (struct sockaddr *)&ss, len);
    struct msghdr mh = {0};
    struct iovec iov = { buf, 2 };
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    check("recvmsg truncates", recvmsg(a, &mh, 0), 2);
    check("MSG_TRUNC flag", (mh.msg_flags & MSG_TRUNC) != 0, 1);
    /* sendmmsg / recvmmsg. */
    struct mmsghdr mm[3];
    struct iovec iovs[3];
    char bufs[3][16];
    for (int i = 0; i < 3; i++) {
        iovs[i].iov_base = (void *)"m";
        iovs[i].iov_len = 1;
        memset(&mm[i], 0, sizeof mm[i]);
        mm[i].msg_hdr.msg_iov = &iovs[i];
        mm[i].msg_hdr.msg_iovlen = 1;
        mm[i].msg_hdr.msg_name = &ss;
        mm[i].msg_hdr.msg_namelen = len;
    }
    check("sendmmsg", sendmmsg(b, mm, 3, 0), 3);
    for (int i = 0; i < 3; i++) {
        iovs[i].iov_base = bufs[i];
        iovs[i].iov_len = sizeof bufs[i];
        mm[i].msg_hdr.msg_name = NULL;
        mm[i].msg_hdr.msg_namelen = 0;
    }
    struct timespec to = { 1, 0 };
    check("recvmmsg", recvmmsg(a, mm, 3, MSG_WAITFORONE, &to), 3);
    check("recvmmsg len", mm[2].msg_len, 1);
    /* Connected UDP to a closed port: ECONNREFUSED on a later call. */
    int c = socket(family, SOCK_DGRAM, 0);
    int dead = socket(family, SOCK_DGRAM, 0);
    len = addr_of(family, 0, &ss);
    bind(dead, (struct sockaddr *)&ss, len);
    int pd = port_of(dead);
    close(dead);
    len = addr_of(family, pd, &ss);
    connect(c, (struct sockaddr *)&ss, len);
    send(c, "x", 1, 0);
    struct pollfd pf = { .fd = c, .events = POLLIN };
    poll(&pf, 1, 1000);
    check("udp refused", E(recv(c, buf, sizeof buf, MSG_DONTWAIT)), -ECONNREFUSED);
    close(a);
    close(b);
    close(c);
}

static void bad_input(void)
{
    printf("-- bad input\n");
    int s = socket(AF_INET, SOCK_STREAM, 0);
    check("bind len too big", E(bind(s, (struct sockaddr *)"", 4096)), -EINVAL);
    check("bind bad pointer", E(bind(s, (struct sockaddr *)8, 16)), -EFAULT);
    check("connect short", E(connect(s, (struct sockaddr *)"\2\0", 2)), -EINVAL);
    check("setsockopt short", E(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, "", 1)), -EINVAL);
    check("getsockopt bad len ptr", E(getsockopt(s, SOL_SOCKET, SO_TYPE, (void *)16, (socklen_t *)24)), -EFAULT);
    check("unknown family", E(socket(12345, SOCK_STREAM, 0)), -EAFNOSUPPORT);
    check("bad type", E(socket(AF_INET, 99, 0)), -EINVAL);
    check("bad protocol", E(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP)), -EPROTONOSUPPORT);
    /* A raw socket needs CAP_NET_RAW (runc's default spec does not grant it). */
    unsigned long long capeff = 0;
    char line[256];
    FILE *st = fopen("/proc/self/status", "r");
    while (st && fgets(line, sizeof line, st)) sscanf(line, "CapEff: %llx", &capeff);
    if (st) fclose(st);
    int raw = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    check("raw socket iff CAP_NET_RAW", raw >= 0, (capeff >> 13) & 1);
    if (raw >= 0) close(raw);
    else check("raw refused with EPERM", errno, EPERM);
    check("listen on udp", E(listen(socket(AF_INET, SOCK_DGRAM, 0), 1)), -EOPNOTSUPP);
    check("accept on unlistened", E(accept(s, NULL, NULL)), -EINVAL);
    check("shutdown bad how", E(shutdown(s, 7)), -EINVAL);
    check("shutdown unconnected", E(shutdown(s, SHUT_RD)), -ENOTCONN);
    check("getpeername unconnected", E(getpeername(s, (struct sockaddr *)&(struct sockaddr_in){0}, &(socklen_t){16})), -ENOTCONN);
    int pp[2];
    pipe(pp);
    check("send on pipe", E(send(pp[1], "x", 1, 0)), -ENOTSOCK);
    close(s);
}

/* Interface ioctls answer on every socket family (Linux falls back to dev_ioctl); glibc's
 * if_nametoindex asks an AF_UNIX socket first. */
static void interface_ioctls(void)
{
    printf("-- interface ioctls\n");
    check("if_nametoindex lo", (long)if_nametoindex("lo"), 1);
    check("if_nametoindex missing", (long)if_nametoindex("nosuch0"), 0);
    int families[] = { AF_UNIX, AF_INET, AF_INET6 };
    for (int i = 0; i < 3; i++) {
        int s = socket(families[i], SOCK_DGRAM, 0);
        struct ifreq r;
        memset(&r, 0, sizeof r);
        strcpy(r.ifr_name, "lo");
        check("SIOCGIFINDEX", E(ioctl(s, SIOCGIFINDEX, &r)), 0);
        check("lo index", r.ifr_ifindex, 1);
        check("SIOCGIFFLAGS", E(ioctl(s, SIOCGIFFLAGS, &r)), 0);
        check("lo up", (r.ifr_flags & IFF_UP) != 0, 1);
        r.ifr_ifindex = 1;
        check("SIOCGIFNAME", E(ioctl(s, SIOCGIFNAME, &r)), 0);
        check("name lo", strcmp(r.ifr_name, "lo"), 0);
        strcpy(r.ifr_name, "nosuch0");
        check("SIOCGIFINDEX missing", E(ioctl(s, SIOCGIFINDEX, &r)), -ENODEV);
        char buf[1024];
        struct ifconf ifc = { .ifc_len = sizeof buf, .ifc_buf = buf };
        check("SIOCGIFCONF", E(ioctl(s, SIOCGIFCONF, &ifc)), 0);
        check("SIOCGIFCONF lo", ifc.ifc_len >= (int)sizeof(struct ifreq) && strcmp(ifc.ifc_req[0].ifr_name, "lo") == 0, 1);
        check("TCGETS on a socket", E(ioctl(s, 0x5401, buf)), -ENOTTY);
        close(s);
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    tcp(AF_INET, "v4");
    tcp(AF_INET6, "v6");
    udp(AF_INET, "v4");
    udp(AF_INET6, "v6");
    bad_input();
    interface_ioctls();
    printf("net_inet: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
