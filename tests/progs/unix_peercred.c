/* unix_peercred: credentials over AF_UNIX as Linux has them - SO_PEERCRED of socket pairs, of
 * both ends of a connection (the listener's creds at listen time, the connecter's at connect
 * time), of an unconnected socket; SO_PASSCRED with implicit and explicit SCM_CREDENTIALS,
 * credentials of messages queued before SO_PASSCRED, stream reads that never join two senders'
 * data while credentials are passed, autobind for SO_PASSCRED senders.
 * "unix_peercred user" runs the unprivileged checks (the container's user must be 4321:1234):
 * EPERM for credentials of another pid or uid, EINVAL for invalid ids, EACCES connecting to a
 * socket node without write permission. Deterministic output; exit 0 when all checks pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static long res(long r) { return r < 0 ? -errno : r; }

static struct ucred peercred(int s, socklen_t *len)
{
    struct ucred c;
    memset(&c, 0x7f, sizeof(c));
    socklen_t l = sizeof(c);
    if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &c, &l) < 0) c.pid = -errno;
    if (len) *len = l;
    return c;
}

static long send_creds(int s, const char *data, const struct ucred *creds)
{
    char cbuf[CMSG_SPACE(sizeof(struct ucred))];
    struct iovec iov = { .iov_base = (void *)data, .iov_len = strlen(data) };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (creds) {
        memset(cbuf, 0, sizeof(cbuf));
        msg.msg_control = cbuf;
        msg.msg_controllen = sizeof(cbuf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_CREDENTIALS;
        c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
        memcpy(CMSG_DATA(c), creds, sizeof(*creds));
    }
    return res(sendmsg(s, &msg, 0));
}

/* Receives; *got is set to whether SCM_CREDENTIALS came, *creds to them. */
static long recv_creds(int s, char *buf, size_t len, struct ucred *creds, int *got, struct sockaddr_un *from, socklen_t *fromlen)
{
    char cbuf[CMSG_SPACE(sizeof(struct ucred)) + 64];
    struct iovec iov = { .iov_base = buf, .iov_len = len - 1 };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf),
                          .msg_name = from, .msg_namelen = fromlen ? *fromlen : 0 };
    long n = res(recvmsg(s, &msg, 0));
    *got = 0;
    if (n < 0) return n;
    buf[n] = 0;
    if (fromlen) *fromlen = msg.msg_namelen;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
            memcpy(creds, CMSG_DATA(c), sizeof(*creds));
            *got = 1;
        }
    }
    return n;
}

static int on = 1;

/* Whether CapEff in /proc/self/status has capability cap. */
static int has_cap(int cap)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long eff = 0;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "CapEff: %llx", &eff) == 1) break;
    if (f) fclose(f);
    return (int)(eff >> cap & 1);
}

static void peer_credentials(void)
{
    int sp[2];
    socklen_t len;
    printf("-- SO_PEERCRED\n");
    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    struct ucred c = peercred(sp[0], &len);
    check("pair: pid is ours", c.pid == getpid(), 1);
    check("pair: uid", c.uid == getuid(), 1);
    check("pair: gid", c.gid == getgid(), 1);
    check("pair: length", len, sizeof(struct ucred));
    c = peercred(sp[1], NULL);
    check("pair: other end pid is ours", c.pid == getpid(), 1);
    struct ucred small;
    len = 4;
    getsockopt(sp[0], SOL_SOCKET, SO_PEERCRED, &small, &len);
    check("short buffer length", len, 4);
    close(sp[0]);
    close(sp[1]);

    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    c = peercred(u, NULL);
    check("unconnected: pid", c.pid, 0);
    check("unconnected: uid", (int)c.uid, -1);
    check("unconnected: gid", (int)c.gid, -1);
    close(u);

    struct sockaddr_un a = { .sun_family = AF_UNIX };
    strcpy(a.sun_path, "/dev/shm/unix_peercred.sock");
    unlink(a.sun_path);
    umask(022);
    int s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    bind(s, (struct sockaddr *)&a, sizeof(a));
    listen(s, 4);
    c = peercred(s, NULL);
    check("listener: its own pid", c.pid == getpid(), 1);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        int k = socket(AF_UNIX, SOCK_SEQPACKET, 0);
        if (connect(k, (struct sockaddr *)&a, sizeof(a)) < 0) _exit(13);
        struct ucred p = peercred(k, NULL);
        if (p.pid != parent || p.uid != getuid() || p.gid != getgid()) _exit(14);
        if (write(k, "hi", 2) != 2) _exit(15);
        _exit(0);
    }
    int k = accept(s, NULL, NULL);
    c = peercred(k, NULL);
    check("accepted: the connecter's pid", c.pid == pid, 1);
    check("accepted: uid", c.uid == getuid(), 1);
    check("accepted: gid", c.gid == getgid(), 1);
    int status = -1;
    waitpid(pid, &status, 0);
    check("connecter exit", WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status), 0);
    c = peercred(k, NULL);
    check("still known after the connecter exited", c.pid == pid, 1);
    close(k);
    close(s);
    unlink(a.sun_path);
}

static void pass_credentials(void)
{
    int sp[2], got, status;
    char buf[64];
    struct ucred c, mine = { .pid = getpid(), .uid = getuid(), .gid = getgid() };

    printf("-- SO_PASSCRED / SCM_CREDENTIALS\n");
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sp);
    check("message before SO_PASSCRED", res(send(sp[0], "early", 5, 0)), 5);
    check("SO_PASSCRED", res(setsockopt(sp[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on))), 0);
    int v = 0;
    socklen_t vl = sizeof(v);
    getsockopt(sp[1], SOL_SOCKET, SO_PASSCRED, &v, &vl);
    check("SO_PASSCRED reads back", v, 1);
    check("receive the early message", recv_creds(sp[1], buf, sizeof(buf), &c, &got, NULL, NULL), 5);
    check("credentials of the early message", got, 1);
    check("early: pid", c.pid, 0);
    check("early: uid is the overflow id", c.uid, 65534);
    check("early: gid is the overflow id", c.gid, 65534);
    check("implicit credentials", res(send(sp[0], "now", 3, 0)), 3);
    check("receive", recv_creds(sp[1], buf, sizeof(buf), &c, &got, NULL, NULL), 3);
    check("credentials came", got, 1);
    check("pid", c.pid == getpid(), 1);
    check("uid", c.uid == getuid(), 1);
    check("gid", c.gid == getgid(), 1);
    check("explicit credentials", send_creds(sp[0], "exp", &mine), 3);
    check("receive", recv_creds(sp[1], buf, sizeof(buf), &c, &got, NULL, NULL), 3);
    check("explicit pid", got && c.pid == getpid(), 1);
    /* Another process's pid or another uid need CAP_SYS_ADMIN / CAP_SETUID (a container's root
     * under the default capabilities has neither). */
    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    struct ucred other_pid = { .pid = child, .uid = getuid(), .gid = getgid() };
    long sr = send_creds(sp[0], "oth", &other_pid);
    check("another pid: as CAP_SYS_ADMIN allows", sr == (has_cap(21) ? 3 : -EPERM), 1);
    if (sr > 0) recv_creds(sp[1], buf, sizeof(buf), &c, &got, NULL, NULL);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    struct ucred other_uid = { .pid = getpid(), .uid = getuid() + 7, .gid = getgid() };
    sr = send_creds(sp[0], "uid", &other_uid);
    check("another uid: as CAP_SETUID allows", sr == (has_cap(7) ? 3 : -EPERM), 1);
    if (sr > 0) recv_creds(sp[1], buf, sizeof(buf), &c, &got, NULL, NULL);
    struct ucred invalid = { .pid = getpid(), .uid = (uid_t)-1, .gid = getgid() };
    check("invalid uid", send_creds(sp[0], "x", &invalid), -EINVAL);
    check("no credentials without SO_PASSCRED", res(send(sp[1], "back", 4, 0)), 4);
    check("receive", recv_creds(sp[0], buf, sizeof(buf), &c, &got, NULL, NULL), 4);
    check("none came", got, 0);

    close(sp[0]);
    close(sp[1]);

    /* Streams never join two senders' data while credentials are passed. */
    for (int pass = 0; pass < 2; pass++) {
        socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
        if (pass) setsockopt(sp[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
        write(sp[0], "aa", 2);
        pid_t pid = fork();
        if (pid == 0) {
            write(sp[0], "bb", 2);
            _exit(0);
        }
        waitpid(pid, &status, 0);
        check(pass ? "stream read with SO_PASSCRED stops at the other sender" : "stream read without SO_PASSCRED joins senders",
              recv_creds(sp[1], buf, sizeof(buf), &c, &got, NULL, NULL), pass ? 2 : 4);
        if (pass) {
            check("rest", recv_creds(sp[1], buf, sizeof(buf), &c, &got, NULL, NULL), 2);
            check("rest is the child's", got && c.pid == pid, 1);
        }
        close(sp[0]);
        close(sp[1]);
    }

    /* An unnamed SO_PASSCRED sender is autobound so the receiver sees who sent. */
    struct sockaddr_un a = { .sun_family = AF_UNIX }, from;
    strcpy(a.sun_path + 1, "unix_peercred_dgram");
    socklen_t alen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen("unix_peercred_dgram");
    int r = socket(AF_UNIX, SOCK_DGRAM, 0);
    bind(r, (struct sockaddr *)&a, alen);
    int plain = socket(AF_UNIX, SOCK_DGRAM, 0);
    sendto(plain, "p", 1, 0, (struct sockaddr *)&a, alen);
    socklen_t fl = sizeof(from);
    check("from an unnamed sender", recv_creds(r, buf, sizeof(buf), &c, &got, &from, &fl), 1);
    check("no sender name", fl, 0);
    int cred = socket(AF_UNIX, SOCK_DGRAM, 0);
    setsockopt(cred, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
    sendto(cred, "c", 1, 0, (struct sockaddr *)&a, alen);
    fl = sizeof(from);
    check("from a SO_PASSCRED sender", recv_creds(r, buf, sizeof(buf), &c, &got, &from, &fl), 1);
    check("its autobound name", fl, offsetof(struct sockaddr_un, sun_path) + 6);
    check("credentials though the receiver did not ask", got, 0);
    close(plain);
    close(cred);
    close(r);
}

/* Checks that need an unprivileged caller (no CAP_SYS_ADMIN, CAP_SETUID, CAP_DAC_OVERRIDE). */
static void unprivileged(void)
{
    int sp[2];
    printf("-- unprivileged\n");
    check("running as 4321:1234", getuid() == 4321 && getgid() == 1234, 1);
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sp);
    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    struct ucred other_pid = { .pid = child, .uid = getuid(), .gid = getgid() };
    check("credentials of another pid", send_creds(sp[0], "x", &other_pid), -EPERM);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    struct ucred root_uid = { .pid = getpid(), .uid = 0, .gid = getgid() };
    check("credentials of another uid", send_creds(sp[0], "x", &root_uid), -EPERM);
    struct ucred root_gid = { .pid = getpid(), .uid = getuid(), .gid = 0 };
    check("credentials of another gid", send_creds(sp[0], "x", &root_gid), -EPERM);
    struct ucred invalid = { .pid = getpid(), .uid = getuid(), .gid = (gid_t)-1 };
    check("invalid gid", send_creds(sp[0], "x", &invalid), -EINVAL);
    struct ucred self = { .pid = getpid(), .uid = getuid(), .gid = getgid() };
    check("own credentials", send_creds(sp[0], "self", &self), 4);
    close(sp[0]);
    close(sp[1]);

    struct sockaddr_un a = { .sun_family = AF_UNIX };
    strcpy(a.sun_path, "/dev/shm/unix_peercred_user.sock");
    unlink(a.sun_path);
    umask(022);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    check("bind", res(bind(s, (struct sockaddr *)&a, sizeof(a))), 0);
    listen(s, 1);
    struct stat st;
    stat(a.sun_path, &st);
    check("node owned by us", st.st_uid == 4321 && st.st_gid == 1234, 1);
    chmod(a.sun_path, 0555);
    int k = socket(AF_UNIX, SOCK_STREAM, 0);
    check("connect without write permission", res(connect(k, (struct sockaddr *)&a, sizeof(a))), -EACCES);
    chmod(a.sun_path, 0755);
    check("connect with write permission", res(connect(k, (struct sockaddr *)&a, sizeof(a))), 0);
    struct ucred c = peercred(k, NULL);
    check("peer uid", c.uid, 4321);
    check("peer gid", c.gid, 1234);
    close(k);
    close(s);
    unlink(a.sun_path);
    strcpy(a.sun_path, "/unix_peercred.sock");
    check("bind in a directory we may not write", res(bind(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, sizeof(a))), -EACCES);
    strcpy(a.sun_path, "/proc/unix_peercred.sock");
    check("bind in /proc", res(bind(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, sizeof(a))) < 0, 1);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    peer_credentials();
    pass_credentials();
    if (argc > 1 && strcmp(argv[1], "user") == 0) unprivileged();
    printf("unix_peercred: %s (%d failures)\n", failures ? "FAIL" : "ok", failures);
    return failures ? 1 : 0;
}
