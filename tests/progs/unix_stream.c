/* unix_stream: AF_UNIX stream sockets as Linux has them - a server on a path (rootfs and tmpfs)
 * and on an abstract name, a forked client, descriptors passed with SCM_RIGHTS (a file, a socket,
 * MSG_CMSG_CLOEXEC, MSG_CTRUNC closing what does not fit, SCM_MAX_FD, EBADF), in-flight
 * descriptors released with their socket and by the garbage collector, name lengths, bind/connect
 * errors, unlink of a bound path, autobind and /proc/net/unix. Deterministic output; exit 0 when
 * all checks pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

/* A call's result as 0 or -errno. */
static long res(long r) { return r < 0 ? -errno : r; }

static socklen_t path_addr(struct sockaddr_un *a, const char *path)
{
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path, path);
    return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    memcpy(a->sun_path + 1, name, strlen(name));
    return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
}

/* Sends data with n descriptors attached. */
static long send_fds(int s, const char *data, const int *fds, int n)
{
    char cbuf[CMSG_SPACE(sizeof(int) * 256)];
    struct iovec iov = { .iov_base = (void *)data, .iov_len = strlen(data) };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (n > 0) {
        memset(cbuf, 0, sizeof(cbuf));
        msg.msg_control = cbuf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * n);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
    }
    return res(sendmsg(s, &msg, 0));
}

/* Receives into buf (NUL-terminated); the descriptors received go to fds, their count to *nfds. */
static long recv_fds(int s, char *buf, size_t len, int *fds, int *nfds, size_t room, int flags, int *msgflags)
{
    char cbuf[CMSG_SPACE(sizeof(int) * 256)];
    struct iovec iov = { .iov_base = buf, .iov_len = len - 1 };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = room ? cbuf : NULL, .msg_controllen = room };
    long n = res(recvmsg(s, &msg, flags));
    *nfds = 0;
    if (n < 0) return n;
    buf[n] = 0;
    if (msgflags) *msgflags = msg.msg_flags;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            memcpy(fds + *nfds, CMSG_DATA(c), k * sizeof(int));
            *nfds += k;
        }
    }
    return n;
}

/* Whether the read end of a pipe sees every writer gone within a while. */
static int pipe_hung_up(int rd)
{
    struct pollfd p = { .fd = rd, .events = POLLIN };
    return poll(&p, 1, 3000) == 1 && (p.revents & POLLHUP) != 0;
}

/* Whether /proc/net/unix has a row with these flags, type and state ending in name. */
static int proc_has(const char *name, const char *flags_type_state)
{
    FILE *f = fopen("/proc/net/unix", "r");
    char line[512];
    int found = 0, header = 0;
    if (!f) return -1;
    if (fgets(line, sizeof(line), f)) header = strcmp(line, "Num       RefCount Protocol Flags    Type St Inode Path\n") == 0;
    while (fgets(line, sizeof(line), f)) {
        size_t l = strlen(line), nl = strlen(name);
        if (l > nl + 1 && line[l - 1] == '\n' && strncmp(line + l - 1 - nl, name, nl) == 0 && line[l - 2 - nl] == ' ' &&
            strstr(line, flags_type_state)) found = 1;
    }
    fclose(f);
    return header && found;
}

static void path_server(const char *dir)
{
    char path[100], other[100], reg[100], data[100];
    struct sockaddr_un a, b, got;
    socklen_t alen, glen;
    struct stat st;
    char buf[64];
    int fds[8], nfds, mflags;

    printf("-- path server in %s\n", dir);
    snprintf(path, sizeof(path), "%s/unix_stream.sock", dir);
    snprintf(other, sizeof(other), "%s/unix_stream.other", dir);
    snprintf(reg, sizeof(reg), "%s/unix_stream.reg", dir);
    snprintf(data, sizeof(data), "%s/unix_stream.data", dir);
    unlink(path);
    unlink(other);
    umask(022);
    alen = path_addr(&a, path);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check("bind path", res(bind(s, (struct sockaddr *)&a, alen)), 0);
    check("node is a socket", stat(path, &st) == 0 && S_ISSOCK(st.st_mode), 1);
    check("node mode (umask 022)", st.st_mode & 07777, 0755);
    glen = sizeof(got);
    check("getsockname", res(getsockname(s, (struct sockaddr *)&got, &glen)), 0);
    check("getsockname length", glen, (long)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1));
    check("getsockname path", strcmp(got.sun_path, path), 0);
    glen = 4;
    check("getsockname short buffer", res(getsockname(s, (struct sockaddr *)&got, &glen)), 0);
    check("getsockname short buffer length", glen, (long)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1));

    int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
    check("bind existing path", res(bind(s2, (struct sockaddr *)&a, alen)), -EADDRINUSE);
    socklen_t olen = path_addr(&b, other);
    check("bind bound socket again", res(bind(s, (struct sockaddr *)&b, olen)), -EINVAL);
    check("no node left by the failed bind", res(stat(other, &st)), -ENOENT);
    check("connect before listen", res(connect(s2, (struct sockaddr *)&a, alen)), -ECONNREFUSED);
    check("listen", res(listen(s, 5)), 0);
    check("listen again", res(listen(s, 8)), 0);
    path_addr(&b, "/nonexistent/unix.sock");
    check("connect missing path", res(connect(s2, (struct sockaddr *)&b, sizeof(b))), -ENOENT);
    close(open(reg, O_CREAT | O_WRONLY, 0644));
    socklen_t rlen = path_addr(&b, reg);
    check("connect regular file", res(connect(s2, (struct sockaddr *)&b, rlen)), -ECONNREFUSED);
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    check("connect wrong type", res(connect(d, (struct sockaddr *)&a, alen)), -EPROTOTYPE);
    close(d);
    check("bind empty length", res(bind(s2, (struct sockaddr *)&a, 0)), -EINVAL);
    check("bind too long", res(bind(s2, (struct sockaddr *)&a, sizeof(a) + 1)), -EINVAL);
    close(s2);

    int fd = open(data, O_CREAT | O_RDWR | O_TRUNC, 0644);
    check("data file written", write(fd, "file-data", 9), 9);
    pid_t pid = fork();
    if (pid == 0) {
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&a, alen) < 0) _exit(10);
        glen = sizeof(got);
        if (getpeername(c, (struct sockaddr *)&got, &glen) < 0 || glen != alen || strcmp(got.sun_path, path) != 0) _exit(11);
        if (send_fds(c, "hello", &fd, 1) != 5) _exit(12);
        if (read(c, buf, sizeof(buf)) != 3 || memcmp(buf, "bye", 3) != 0) _exit(13);
        _exit(0);
    }
    close(fd);
    glen = sizeof(got);
    memset(&got, 0x55, sizeof(got));
    int c = accept4(s, (struct sockaddr *)&got, &glen, SOCK_CLOEXEC);
    check("accept", c >= 0, 1);
    check("accept peer length (unnamed client)", glen, offsetof(struct sockaddr_un, sun_path));
    check("accepted close-on-exec", fcntl(c, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    glen = sizeof(got);
    getsockname(c, (struct sockaddr *)&got, &glen);
    check("accepted getsockname is the listener's", glen == alen && strcmp(got.sun_path, path) == 0, 1);
    check("recvmsg with a file", recv_fds(c, buf, sizeof(buf), fds, &nfds, CMSG_SPACE(sizeof(int) * 4), MSG_CMSG_CLOEXEC, &mflags), 5);
    check("data", strcmp(buf, "hello"), 0);
    check("one descriptor", nfds, 1);
    check("no truncation", mflags & MSG_CTRUNC, 0);
    check("MSG_CMSG_CLOEXEC", nfds == 1 ? fcntl(fds[0], F_GETFD) & FD_CLOEXEC : -1, FD_CLOEXEC);
    memset(buf, 0, sizeof(buf));
    check("passed file readable", nfds == 1 ? pread(fds[0], buf, 9, 0) : -1, 9);
    check("passed file contents", strcmp(buf, "file-data"), 0);
    if (nfds == 1) close(fds[0]);
    check("reply", write(c, "bye", 3), 3);
    int status = -1;
    waitpid(pid, &status, 0);
    check("client exit", WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status), 0);
    check("/proc/net/unix lists the listener", proc_has(path, "00010000 0001 01"), 1);

    /* unlink: the name is gone, the socket (and its connections) stay. */
    check("unlink", res(unlink(path)), 0);
    int c2 = socket(AF_UNIX, SOCK_STREAM, 0);
    check("connect after unlink", res(connect(c2, (struct sockaddr *)&a, alen)), -ENOENT);
    glen = sizeof(got);
    getsockname(s, (struct sockaddr *)&got, &glen);
    check("name kept after unlink", glen == alen && strcmp(got.sun_path, path) == 0, 1);
    check("rebind the path with a new socket", res(bind(c2, (struct sockaddr *)&a, alen)), 0);
    check("listen on the new socket", res(listen(c2, 1)), 0);
    int c3 = socket(AF_UNIX, SOCK_STREAM, 0);
    check("connect reaches the new socket", res(connect(c3, (struct sockaddr *)&a, alen)), 0);
    struct pollfd p[2] = { { .fd = s, .events = POLLIN }, { .fd = c2, .events = POLLIN } };
    poll(p, 2, 0);
    check("old listener idle", p[0].revents, 0);
    check("new listener has the connection", p[1].revents, POLLIN);
    close(c3);
    close(c2);
    close(c);
    close(s);
    unlink(path);
    unlink(reg);
    unlink(data);
}

static void abstract_server(void)
{
    struct sockaddr_un a, got;
    socklen_t glen;
    char buf[64];
    int fds[8], nfds;

    printf("-- abstract server\n");
    socklen_t alen = abstract_addr(&a, "unix_stream_test");
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    check("bind abstract", res(bind(s, (struct sockaddr *)&a, alen)), 0);
    glen = sizeof(got);
    getsockname(s, (struct sockaddr *)&got, &glen);
    check("abstract getsockname length", glen, alen);
    check("abstract name", got.sun_path[0] == 0 && memcmp(got.sun_path + 1, "unix_stream_test", 16) == 0, 1);
    int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
    check("abstract in use", res(bind(s2, (struct sockaddr *)&a, alen)), -EADDRINUSE);
    close(s2);
    int dg = socket(AF_UNIX, SOCK_DGRAM, 0);
    check("same abstract name for another type", res(bind(dg, (struct sockaddr *)&a, alen)), 0);
    close(dg);
    check("listen", res(listen(s, 1)), 0);
    check("/proc/net/unix lists the abstract listener", proc_has("@unix_stream_test", "00010000 0001 01"), 1);

    int sp[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    pid_t pid = fork();
    if (pid == 0) {
        close(sp[0]);
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&a, alen) < 0) _exit(10);
        /* Pass one end of a socket pair: the server talks to us through it. */
        if (send_fds(c, "sock", &sp[1], 1) != 4) _exit(11);
        close(sp[1]);
        if (read(c, buf, sizeof(buf)) != 4) _exit(12);
        _exit(0);
    }
    close(sp[1]);
    int c = accept(s, NULL, NULL);
    check("accept", c >= 0, 1);
    check("recvmsg with a socket", recv_fds(c, buf, sizeof(buf), fds, &nfds, CMSG_SPACE(sizeof(int)), 0, NULL), 4);
    check("one socket", nfds, 1);
    check("no close-on-exec without MSG_CMSG_CLOEXEC", nfds == 1 ? fcntl(fds[0], F_GETFD) & FD_CLOEXEC : -1, 0);
    check("write through the passed socket", nfds == 1 ? write(fds[0], "via", 3) : -1, 3);
    memset(buf, 0, sizeof(buf));
    check("arrives at the pair's other end", read(sp[0], buf, sizeof(buf)), 3);
    check("passed socket data", strcmp(buf, "via"), 0);
    write(c, "done", 4);
    int status = -1;
    waitpid(pid, &status, 0);
    check("client exit", WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status), 0);
    if (nfds == 1) close(fds[0]);
    close(sp[0]);
    close(c);
    close(s);
    int s3 = socket(AF_UNIX, SOCK_STREAM, 0);
    check("abstract name free after close", res(bind(s3, (struct sockaddr *)&a, alen)), 0);
    close(s3);

    /* Autobind: sun_family only gives "\0" and five hex digits. */
    int u = socket(AF_UNIX, SOCK_DGRAM, 0);
    check("autobind", res(bind(u, (struct sockaddr *)&a, sizeof(sa_family_t))), 0);
    glen = sizeof(got);
    getsockname(u, (struct sockaddr *)&got, &glen);
    int hex = 1;
    for (int i = 1; i <= 5; i++)
        hex &= (got.sun_path[i] >= '0' && got.sun_path[i] <= '9') || (got.sun_path[i] >= 'a' && got.sun_path[i] <= 'f');
    check("autobind length", glen, offsetof(struct sockaddr_un, sun_path) + 6);
    check("autobind name", got.sun_path[0] == 0 && hex, 1);
    check("autobind of a bound socket", res(bind(u, (struct sockaddr *)&a, sizeof(sa_family_t))), 0);
    check("bind of an autobound socket", res(bind(u, (struct sockaddr *)&a, alen)), -EINVAL);
    close(u);
}

static void rights(void)
{
    int sp[2], p[2], fds[300], nfds, mflags;
    char buf[64];

    printf("-- SCM_RIGHTS limits\n");
    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    pipe(p);
    /* Three copies sent, room for one: the others are closed, MSG_CTRUNC says so. */
    int three[3] = { p[1], p[1], p[1] };
    check("send 3 descriptors", send_fds(sp[0], "x", three, 3), 1);
    close(p[1]);
    check("receive with room for one", recv_fds(sp[1], buf, sizeof(buf), fds, &nfds, CMSG_LEN(sizeof(int)), 0, &mflags), 1);
    check("one installed", nfds, 1);
    check("MSG_CTRUNC", mflags & MSG_CTRUNC, MSG_CTRUNC);
    for (int i = 0; i < nfds; i++) close(fds[i]);
    check("the left-out copies were closed", pipe_hung_up(p[0]), 1);
    close(p[0]);

    /* No control buffer at all. */
    pipe(p);
    check("send with a descriptor", send_fds(sp[0], "y", &p[1], 1), 1);
    close(p[1]);
    check("receive without control buffer", recv_fds(sp[1], buf, sizeof(buf), fds, &nfds, 0, 0, &mflags), 1);
    check("MSG_CTRUNC without buffer", mflags & MSG_CTRUNC, MSG_CTRUNC);
    check("its descriptor was closed", pipe_hung_up(p[0]), 1);
    close(p[0]);

    int many[254];
    for (int i = 0; i < 254; i++) many[i] = sp[0];
    check("254 descriptors", send_fds(sp[0], "z", many, 254), -EINVAL);
    check("253 descriptors", send_fds(sp[0], "z", many, 253), 1);
    check("receive 253", recv_fds(sp[1], buf, sizeof(buf), fds, &nfds, CMSG_SPACE(sizeof(int) * 256), 0, &mflags), 1);
    check("253 installed", nfds, 253);
    for (int i = 0; i < nfds; i++) close(fds[i]);
    int bad = 999;
    check("bad descriptor", send_fds(sp[0], "w", &bad, 1), -EBADF);

    /* read(2) drops the descriptors of what it reads. */
    pipe(p);
    send_fds(sp[0], "r", &p[1], 1);
    close(p[1]);
    check("read(2) of a message with a descriptor", read(sp[1], buf, sizeof(buf)), 1);
    check("read(2) closed it", pipe_hung_up(p[0]), 1);
    close(p[0]);

    /* Peek duplicates, the read takes them: two copies in all. */
    pipe(p);
    send_fds(sp[0], "k", &p[1], 1);
    close(p[1]);
    check("peek", recv_fds(sp[1], buf, sizeof(buf), fds, &nfds, CMSG_SPACE(sizeof(int)), MSG_PEEK, NULL), 1);
    int peeked = nfds == 1 ? fds[0] : -1;
    check("peek gets a copy", nfds, 1);
    check("read", recv_fds(sp[1], buf, sizeof(buf), fds, &nfds, CMSG_SPACE(sizeof(int)), 0, NULL), 1);
    check("read gets one too", nfds, 1);
    check("distinct descriptors", nfds == 1 && fds[0] != peeked, 1);
    if (nfds == 1) close(fds[0]);
    if (peeked >= 0) close(peeked);
    check("both closed: hang-up", pipe_hung_up(p[0]), 1);
    close(p[0]);
    close(sp[0]);
    close(sp[1]);

    /* Any kind of descriptor: stdout (the runtime's pipe, host-backed), an epoll instance, an eventfd. */
    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp);
    int ep = epoll_create1(0), efd = eventfd(0, 0);
    pipe(p);
    struct epoll_event ee = { .events = EPOLLIN, .data.u64 = 42 };
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ee);
    int kinds[3] = { 1, ep, efd };
    check("send stdout, an epoll and an eventfd", send_fds(sp[0], "k", kinds, 3), 1);
    close(ep);
    close(efd);
    check("receive them", recv_fds(sp[1], buf, sizeof(buf), fds, &nfds, CMSG_SPACE(sizeof(int) * 3), 0, NULL), 1);
    check("three", nfds, 3);
    if (nfds == 3) {
        fflush(stdout);
        const char line[] = "ok   a line written through a passed stdout\n";
        check("write through it", write(fds[0], line, sizeof(line) - 1), sizeof(line) - 1);
        write(p[1], "e", 1);
        struct epoll_event got;
        check("the passed epoll still watches the pipe", epoll_wait(fds[1], &got, 1, 1000), 1);
        check("with its data", (long)got.data.u64, 42);
        unsigned long long one = 1, val = 0;
        write(fds[2], &one, sizeof(one));
        check("the passed eventfd counts", read(fds[2], &val, sizeof(val)) == sizeof(val) && val == 1, 1);
        for (int i = 0; i < 3; i++) close(fds[i]);
    }
    close(p[0]);
    close(p[1]);
    close(sp[0]);
    close(sp[1]);

    /* Descriptors in flight die with the socket that holds them. */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    pipe(p);
    send_fds(sp[0], "f", &p[1], 1);
    close(p[1]);
    close(sp[0]);
    close(sp[1]);
    check("in-flight descriptor closed with its socket", pipe_hung_up(p[0]), 1);
    close(p[0]);

    /* A cycle: each end of a pair in the other's queue, then both closed. The next release of a
     * unix socket runs the garbage collector, which frees the pair and what it held. */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    pipe(p);
    send_fds(sp[0], "a", &sp[0], 1);
    send_fds(sp[1], "b", &sp[1], 1);
    send_fds(sp[0], "p", &p[1], 1);
    close(p[1]);
    close(sp[0]);
    close(sp[1]);
    close(socket(AF_UNIX, SOCK_STREAM, 0));
    check("cycle collected", pipe_hung_up(p[0]), 1);
    close(p[0]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    path_server("/tmp");
    path_server("/dev/shm");
    abstract_server();
    rights();
    printf("unix_stream: %s (%d failures)\n", failures ? "FAIL" : "ok", failures);
    return failures ? 1 : 0;
}
