/* unix_fuzz [SEED] [OPS]: a seeded random pass over the AF_UNIX socket calls - random types and
 * flags, garbage addresses and lengths (path, abstract, short, long, unterminated, bad pointers),
 * connects between random sockets, random option levels, names, lengths and values, sendmsg and
 * recvmsg with random iovecs, flags and control messages (SCM_RIGHTS of random descriptors,
 * including sockets passed into their own queues, SCM_CREDENTIALS, malformed headers), shutdown,
 * ioctls, names, dup and close. Every descriptor is non-blocking, so nothing waits. Results are
 * not compared (they are whatever the kernel answers); the program must simply run to the end:
 * prints "unix_fuzz: done N calls" and exits 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define POOL 48

static uint64_t rng;
static int pool[POOL];
static long calls;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int pick(int n) { return (int)(next() % (uint64_t)n); }

static int any_fd(void)
{
    switch (pick(10)) {
    case 0: return -1;
    case 1: return 1000 + pick(50);
    case 2: return pick(3);
    default: return pool[pick(POOL)];
    }
}

static void put(int fd)
{
    if (fd < 0) return;
    fcntl(fd, F_SETFL, O_NONBLOCK);
    int slot = pick(POOL);
    if (pool[slot] >= 3) close(pool[slot]);
    pool[slot] = fd;
}

static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW, SOCK_RDM, 0, 11, -1 };

/* A random sockaddr of a random length (returned); may be garbage. */
static socklen_t random_addr(struct sockaddr_storage *ss)
{
    char *b = (char *)ss;
    memset(ss, 0, sizeof(*ss));
    for (size_t i = 0; i < sizeof(*ss); i++)
        if (pick(4) == 0) b[i] = (char)next();
    struct sockaddr_un *a = (struct sockaddr_un *)ss;
    a->sun_family = pick(10) == 0 ? (sa_family_t)pick(50) : AF_UNIX;
    switch (pick(5)) {
    case 0: /* abstract, one of a few names */
        a->sun_path[0] = 0;
        snprintf(a->sun_path + 1, 20, "fz%d", pick(8));
        return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(a->sun_path + 1);
    case 1: /* a path, one of a few */
        snprintf(a->sun_path, sizeof(a->sun_path), "/tmp/unix_fuzz/s%d", pick(8));
        return pick(2) ? sizeof(*a) : offsetof(struct sockaddr_un, sun_path) + strlen(a->sun_path) + pick(3);
    case 2: /* unterminated garbage path */
        for (int i = 0; i < 108; i++) a->sun_path[i] = 'a' + pick(26);
        return sizeof(*a);
    case 3:
        return pick(2) ? sizeof(sa_family_t) : 0;
    default:
        return (socklen_t)pick(200);
    }
}

static void fuzz_sendmsg(int fd)
{
    char data[512], control[1200];
    struct iovec iov[4];
    for (size_t i = 0; i < sizeof(data); i++) data[i] = (char)next();
    int niov = pick(5);
    for (int i = 0; i < niov; i++) {
        iov[i].iov_base = pick(20) == 0 ? (void *)16 : data + pick(256);
        iov[i].iov_len = pick(20) == 0 ? (size_t)-1 : (size_t)pick(256);
    }
    struct sockaddr_storage ss;
    struct msghdr msg = { .msg_iov = niov ? iov : NULL, .msg_iovlen = niov };
    if (pick(4) == 0) {
        msg.msg_name = &ss;
        msg.msg_namelen = random_addr(&ss);
    }
    size_t clen = 0;
    int ncmsg = pick(3);
    for (int k = 0; k < ncmsg && clen + 64 < sizeof(control); k++) {
        struct cmsghdr *c = (struct cmsghdr *)(control + clen);
        int type = pick(4);
        int n = type == 0 ? 1 + pick(pick(10) == 0 ? 260 : 4) : 0;
        size_t payload = type == 0 ? n * sizeof(int) : type == 1 ? sizeof(struct ucred) : (size_t)pick(16);
        if (clen + CMSG_SPACE(payload) > sizeof(control)) break;
        c->cmsg_level = pick(10) == 0 ? pick(300) : SOL_SOCKET;
        c->cmsg_type = type == 0 ? SCM_RIGHTS : type == 1 ? SCM_CREDENTIALS : pick(10);
        c->cmsg_len = pick(10) == 0 ? (size_t)pick(40) : CMSG_LEN(payload);
        if (type == 0) {
            int *fds = (int *)CMSG_DATA(c);
            for (int i = 0; i < n; i++) fds[i] = pick(3) == 0 ? fd : any_fd();
        } else if (type == 1) {
            struct ucred u = { .pid = pick(2) ? getpid() : pick(100), .uid = pick(2) ? getuid() : (uid_t)pick(5), .gid = pick(2) ? getgid() : (gid_t)-1 };
            memcpy(CMSG_DATA(c), &u, sizeof(u));
        }
        clen += CMSG_SPACE(payload);
    }
    if (clen > 0) {
        msg.msg_control = pick(20) == 0 ? (void *)8 : control;
        msg.msg_controllen = pick(10) == 0 ? (size_t)pick(2000) : clen;
    }
    int flags = MSG_DONTWAIT | MSG_NOSIGNAL | (pick(3) == 0 ? (int)(next() & (MSG_OOB | MSG_EOR | MSG_MORE | MSG_CONFIRM | MSG_PEEK)) : 0);
    sendmsg(fd, &msg, flags);
}

static void fuzz_recvmsg(int fd)
{
    char data[600], control[1200];
    struct iovec iov[3];
    int niov = pick(4);
    for (int i = 0; i < niov; i++) {
        iov[i].iov_base = pick(25) == 0 ? (void *)32 : data + pick(200);
        iov[i].iov_len = (size_t)pick(200);
    }
    struct sockaddr_storage ss;
    struct msghdr msg = { .msg_iov = niov ? iov : NULL, .msg_iovlen = niov };
    if (pick(2)) {
        msg.msg_name = pick(20) == 0 ? (void *)64 : &ss;
        msg.msg_namelen = pick(10) == 0 ? (socklen_t)-1 : (socklen_t)pick(140);
    }
    if (pick(2)) {
        msg.msg_control = control;
        msg.msg_controllen = (size_t)pick(sizeof(control));
    }
    int flags = MSG_DONTWAIT | (int)(next() & (MSG_PEEK | MSG_TRUNC | MSG_WAITALL | MSG_CMSG_CLOEXEC | MSG_OOB | MSG_ERRQUEUE));
    long n = recvmsg(fd, &msg, flags);
    if (n >= 0 && msg.msg_control && !(msg.msg_flags & MSG_CTRUNC)) {
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
            int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            int *fds = (int *)CMSG_DATA(c);
            for (int i = 0; i < k; i++) put(fds[i]);
        }
    }
}

static void fuzz_option(int fd)
{
    char value[64];
    for (size_t i = 0; i < sizeof(value); i++) value[i] = (char)next();
    int level = pick(8) == 0 ? pick(300) : SOL_SOCKET;
    int name = pick(90);
    if (pick(2)) {
        socklen_t len = pick(10) == 0 ? (socklen_t)-1 : (socklen_t)pick(sizeof(value) + 1);
        setsockopt(fd, level, name, pick(30) == 0 ? (void *)8 : value, len);
    } else {
        socklen_t len = (socklen_t)pick(sizeof(value) + 1);
        if (pick(15) == 0) len = (socklen_t)-5;
        getsockopt(fd, level, name, value, pick(30) == 0 ? (socklen_t *)8 : &len);
    }
}

int main(int argc, char **argv)
{
    rng = argc > 1 ? strtoull(argv[1], NULL, 0) : 0x5eed5eed1234ULL;
    long ops = argc > 2 ? atol(argv[2]) : 20000;
    if (rng == 0) rng = 1;
    mkdir("/tmp/unix_fuzz", 0777);
    for (int i = 0; i < POOL; i++) pool[i] = -1;
    char buf[256];
    struct sockaddr_storage ss;
    socklen_t len;
    for (long op = 0; op < ops; op++, calls++) {
        int fd = any_fd();
        switch (pick(22)) {
        case 0:
        case 1: {
            int type = types[pick(8)] | (pick(2) ? SOCK_NONBLOCK : 0) | (pick(2) ? SOCK_CLOEXEC : 0);
            put(socket(pick(15) == 0 ? pick(50) : AF_UNIX, type, pick(10) == 0 ? pick(4) : 0));
            break;
        }
        case 2: {
            int sv[2] = { -1, -1 };
            if (socketpair(AF_UNIX, types[pick(4)] | SOCK_NONBLOCK, pick(12) == 0 ? 2 : 0, pick(40) == 0 ? (int *)8 : sv) == 0) {
                put(sv[0]);
                put(sv[1]);
            }
            break;
        }
        case 3:
            len = random_addr(&ss);
            bind(fd, pick(30) == 0 ? (struct sockaddr *)16 : (struct sockaddr *)&ss, pick(30) == 0 ? (socklen_t)-1 : len);
            break;
        case 4:
        case 5:
            len = random_addr(&ss);
            connect(fd, (struct sockaddr *)&ss, len);
            break;
        case 6:
            listen(fd, pick(6) - 1);
            break;
        case 7:
            len = (socklen_t)pick(140);
            put(accept4(fd, pick(2) ? (struct sockaddr *)&ss : NULL, pick(20) == 0 ? (socklen_t *)4 : &len,
                        pick(8) == 0 ? (int)next() : SOCK_NONBLOCK | (pick(2) ? SOCK_CLOEXEC : 0)));
            break;
        case 8:
        case 9:
        case 10:
            fuzz_sendmsg(fd);
            break;
        case 11:
        case 12:
            fuzz_recvmsg(fd);
            break;
        case 13:
            len = random_addr(&ss);
            sendto(fd, buf, pick(300), MSG_DONTWAIT | MSG_NOSIGNAL, pick(2) ? (struct sockaddr *)&ss : NULL, len);
            break;
        case 14:
            len = (socklen_t)pick(140);
            recvfrom(fd, buf, pick(300), MSG_DONTWAIT | (pick(2) ? MSG_PEEK : 0), (struct sockaddr *)&ss, &len);
            break;
        case 15:
        case 16:
            fuzz_option(fd);
            break;
        case 17:
            shutdown(fd, pick(5) - 1);
            break;
        case 18: {
            int v;
            unsigned long reqs[] = { FIONREAD, TIOCOUTQ, FIONBIO, SIOCATMARK, 0x89E0, 0x8910, (unsigned long)next() };
            ioctl(fd, reqs[pick(7)], pick(20) == 0 ? (void *)8 : &v);
            break;
        }
        case 19:
            len = pick(10) == 0 ? (socklen_t)-1 : (socklen_t)pick(140);
            if (pick(2)) getsockname(fd, (struct sockaddr *)&ss, &len);
            else getpeername(fd, (struct sockaddr *)&ss, &len);
            break;
        case 20:
            if (pick(2)) put(dup(fd));
            else {
                int slot = pick(POOL);
                if (pool[slot] >= 3) close(pool[slot]);
                pool[slot] = -1;
            }
            break;
        default: {
            struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP };
            poll(&p, 1, 0);
            if (pick(4) == 0) {
                snprintf(buf, sizeof(buf), "/tmp/unix_fuzz/s%d", pick(8));
                unlink(buf);
            }
            if (pick(50) == 0) {
                int f = open("/proc/net/unix", O_RDONLY);
                if (f >= 0) {
                    while (read(f, buf, sizeof(buf)) > 0) {
                    }
                    close(f);
                }
            }
            break;
        }
        }
    }
    for (int i = 0; i < POOL; i++)
        if (pool[i] >= 3) close(pool[i]);
    /* A release runs the in-flight garbage collector over whatever cycles are left. */
    close(socket(AF_UNIX, SOCK_STREAM, 0));
    printf("unix_fuzz: done %ld calls\n", calls);
    return 0;
}
