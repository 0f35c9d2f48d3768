/* inotify: inotify_init1 flags, add_watch/rm_watch errors and flags (IN_ONLYDIR, IN_DONT_FOLLOW,
 * IN_MASK_ADD, IN_MASK_CREATE, IN_ONESHOT, IN_EXCL_UNLINK), every event for changes made by this
 * program in DIR (create/open/modify/access/attrib/close_write/close_nowrite/delete/delete_self/
 * move_self/moved_from+moved_to with one cookie, ignored), coalescing, FIONREAD, too small
 * buffers, poll and edge-triggered epoll readiness, a blocked read woken by a child, the
 * IN_Q_OVERFLOW event at max_queued_events, /proc/sys/fs/inotify and fanotify_init's refusal.
 * Usage: inotify DIR (run once on the rootfs, once on tmpfs). Deterministic output (event
 * lines, cookies as equal/nonzero); exit 0 when all checks pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;
static char dir[256];

static void check(const char *what, long got, long want)
{
    if (got == want) {
        printf("ok   %s = %ld\n", what, got);
    } else {
        printf("FAIL %s = %ld (want %ld)\n", what, got, want);
        failures++;
    }
    fflush(stdout);
}

static long res(long r) { return r < 0 ? -errno : r; }

static const char *path(const char *name)
{
    static char buf[4][512];
    static int n;
    char *p = buf[n++ & 3];
    snprintf(p, 512, "%s/%s", dir, name);
    return p;
}

static void print_mask(uint32_t m)
{
    static const struct { uint32_t bit; const char *name; } names[] = {
        {IN_ACCESS, "ACCESS"}, {IN_MODIFY, "MODIFY"}, {IN_ATTRIB, "ATTRIB"},
        {IN_CLOSE_WRITE, "CLOSE_WRITE"}, {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"}, {IN_OPEN, "OPEN"},
        {IN_MOVED_FROM, "MOVED_FROM"}, {IN_MOVED_TO, "MOVED_TO"}, {IN_CREATE, "CREATE"},
        {IN_DELETE, "DELETE"}, {IN_DELETE_SELF, "DELETE_SELF"}, {IN_MOVE_SELF, "MOVE_SELF"},
        {IN_UNMOUNT, "UNMOUNT"}, {IN_Q_OVERFLOW, "Q_OVERFLOW"}, {IN_IGNORED, "IGNORED"},
        {IN_ISDIR, "ISDIR"},
    };
    int first = 1;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (m & names[i].bit) {
            printf("%s%s", first ? "" : "|", names[i].name);
            first = 0;
            m &= ~names[i].bit;
        }
    }
    if (m) printf("%s0x%x", first ? "" : "|", m);
}

static uint32_t last_cookie;

/* Prints every queued event of fd (non-blocking), one per line; returns how many. */
static int drain(int fd, const char *label)
{
    char buf[8192] __attribute__((aligned(8)));
    int count = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0) {
            if (errno != EAGAIN) printf("%s: read error %d\n", label, errno);
            break;
        }
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *e = (struct inotify_event *)p;
            printf("  %s: wd=%d ", label, e->wd);
            print_mask(e->mask);
            if (e->cookie) {
                printf(" cookie=%s", e->cookie == last_cookie ? "same" : "new");
                last_cookie = e->cookie;
            }
            if (e->len) printf(" name=%s len=%u", e->name, e->len);
            printf("\n");
            p += sizeof(*e) + e->len;
            count++;
        }
    }
    fflush(stdout);
    return count;
}

static void write_file(const char *p, const char *s)
{
    int f = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (write(f, s, strlen(s)) < 0) printf("write error\n");
    close(f);
}

int main(int argc, char **argv)
{
    snprintf(dir, sizeof(dir), "%s/inotify-test", argc > 1 ? argv[1] : "/tmp");
    mkdir(dir, 0755);
    printf("dir %s\n", argc > 1 ? argv[1] : "/tmp");

    /* Creation flags. */
    check("inotify_init1 bad flag", res(inotify_init1(0x1)), -EINVAL);
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    check("inotify_init1", fd >= 0, 1);
    check("IN_CLOEXEC", res(fcntl(fd, F_GETFD)), FD_CLOEXEC);
    check("IN_NONBLOCK", (res(fcntl(fd, F_GETFL)) & O_NONBLOCK) != 0, 1);
    char small[8];
    check("read empty", res(read(fd, small, sizeof(small))), -EAGAIN);
    int plain = inotify_init();
    check("inotify_init", plain >= 0, 1);
    check("inotify_init no cloexec", res(fcntl(plain, F_GETFD)), 0);
    close(plain);

    /* add_watch errors. */
    write_file(path("file"), "hello");
    symlink("file", path("link"));
    check("add_watch mask 0", res(inotify_add_watch(fd, dir, 0)), -EINVAL);
    check("add_watch EBADF", res(inotify_add_watch(999, dir, IN_ALL_EVENTS)), -EBADF);
    check("add_watch not inotify", res(inotify_add_watch(1, dir, IN_ALL_EVENTS)), -EINVAL);
    check("add_watch ENOENT", res(inotify_add_watch(fd, path("missing"), IN_ALL_EVENTS)), -ENOENT);
    check("IN_ONLYDIR on a file", res(inotify_add_watch(fd, path("file"), IN_ALL_EVENTS | IN_ONLYDIR)), -ENOTDIR);
    check("IN_MASK_ADD|IN_MASK_CREATE", res(inotify_add_watch(fd, dir, IN_ALL_EVENTS | IN_MASK_ADD | IN_MASK_CREATE)), -EINVAL);
    check("rm_watch unknown", res(inotify_rm_watch(fd, 12345)), -EINVAL);
    check("rm_watch not inotify", res(inotify_rm_watch(1, 1)), -EINVAL);

    int wd = inotify_add_watch(fd, dir, IN_ALL_EVENTS | IN_ONLYDIR);
    check("add_watch dir", wd, 1);
    check("same dir again", inotify_add_watch(fd, dir, IN_ALL_EVENTS), 1);
    check("IN_MASK_CREATE existing", res(inotify_add_watch(fd, dir, IN_ALL_EVENTS | IN_MASK_CREATE)), -EEXIST);
    int wfile = inotify_add_watch(fd, path("link"), IN_ALL_EVENTS);
    check("watch through symlink", wfile, 2);
    int wlink = inotify_add_watch(fd, path("link"), IN_ALL_EVENTS | IN_DONT_FOLLOW);
    check("IN_DONT_FOLLOW watch", wlink, 3);
    check("rm_watch link", res(inotify_rm_watch(fd, wlink)), 0);
    drain(fd, "rm link watch");

    /* Create, write (coalesced), close. */
    printf("-- create/write/close\n");
    int f = open(path("a"), O_WRONLY | O_CREAT, 0600);
    if (write(f, "x", 1) < 0 || write(f, "y", 1) < 0) printf("write error\n");
    int avail = -1;
    ioctl(fd, FIONREAD, &avail);
    check("FIONREAD", avail, 3 * (long)(sizeof(struct inotify_event) + 16));
    close(f);
    drain(fd, "create");

    printf("-- too small buffer\n");
    f = open(path("a"), O_RDONLY);
    check("read 16 bytes", res(read(fd, small, 8)), -EINVAL);
    close(f);
    drain(fd, "open/close");

    printf("-- read/access/getdents\n");
    f = open(path("a"), O_RDONLY);
    char buf[16];
    check("read a", res(read(f, buf, sizeof(buf))), 2);
    check("read at EOF", res(read(f, buf, sizeof(buf))), 0);
    close(f);
    f = open(dir, O_RDONLY | O_DIRECTORY);
    char dents[4096];
    check("getdents", syscall(SYS_getdents64, f, dents, sizeof(dents)) > 0, 1);
    close(f);
    drain(fd, "read");

    printf("-- attributes\n");
    chmod(path("a"), 0644);
    truncate(path("a"), 1);
    f = open(path("a"), O_RDWR | O_TRUNC);
    ftruncate(f, 10);
    struct timespec ts[2] = {{1, 0}, {2, 0}};
    futimens(f, ts);
    close(f);
    chown(path("a"), 0, 0);
    drain(fd, "attrib");

    printf("-- directories\n");
    mkdir(path("sub"), 0755);
    f = open(path("sub"), O_RDONLY | O_DIRECTORY);
    close(f);
    int wsub = inotify_add_watch(fd, path("sub"), IN_ALL_EVENTS);
    check("watch sub", wsub, 4);
    write_file(path("sub/inner"), "");
    unlink(path("sub/inner"));
    rmdir(path("sub"));
    drain(fd, "dirs");
    check("rm_watch removed", res(inotify_rm_watch(fd, wsub)), -EINVAL);

    printf("-- rename\n");
    rename(path("a"), path("b"));
    write_file(path("c"), "c");
    rename(path("c"), path("b"));
    mkdir(path("d1"), 0755);
    int wd1 = inotify_add_watch(fd, path("d1"), IN_MOVE_SELF);
    rename(path("d1"), path("d2"));
    rmdir(path("d2"));
    drain(fd, "rename");
    (void)wd1;

    printf("-- links and unlink\n");
    int wb = inotify_add_watch(fd, path("b"), IN_ALL_EVENTS);
    link(path("b"), path("b2"));
    unlink(path("b2"));
    unlink(path("b"));
    drain(fd, "unlink");

    printf("-- unlink of an open file, IN_EXCL_UNLINK\n");
    write_file(path("e"), "e");
    f = open(path("e"), O_RDWR);
    unlink(path("e"));
    drain(fd, "unlink open");
    if (write(f, "z", 1) < 0) printf("write error\n");
    drain(fd, "write after unlink");
    inotify_add_watch(fd, dir, IN_ALL_EVENTS | IN_EXCL_UNLINK);
    if (write(f, "z", 1) < 0) printf("write error\n");
    close(f);
    drain(fd, "excl_unlink");
    (void)wb;

    printf("-- oneshot, mask add\n");
    write_file(path("o"), "o");
    drain(fd, "setup");
    check("rm_watch dir", res(inotify_rm_watch(fd, wd)), 0);
    drain(fd, "rm dir watch");
    int wo = inotify_add_watch(fd, path("o"), IN_OPEN | IN_ONESHOT);
    f = open(path("o"), O_RDONLY);
    close(f);
    f = open(path("o"), O_RDONLY);
    close(f);
    drain(fd, "oneshot");
    wo = inotify_add_watch(fd, path("o"), IN_OPEN);
    check("IN_MASK_ADD same wd", inotify_add_watch(fd, path("o"), IN_CLOSE | IN_MASK_ADD), wo);
    f = open(path("o"), O_RDONLY);
    close(f);
    check("replace mask", inotify_add_watch(fd, path("o"), IN_CLOSE_WRITE), wo);
    f = open(path("o"), O_RDONLY);
    close(f);
    drain(fd, "mask add");
    inotify_rm_watch(fd, wo);
    drain(fd, "rm");

    printf("-- readiness\n");
    int wr = inotify_add_watch(fd, dir, IN_CREATE | IN_DELETE);
    struct pollfd pfd = {fd, POLLIN, 0};
    check("poll empty", poll(&pfd, 1, 0), 0);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u32 = 7};
    check("epoll_ctl", res(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)), 0);
    write_file(path("r1"), "");
    check("poll ready", poll(&pfd, 1, 0), 1);
    check("poll revents", pfd.revents, POLLIN);
    struct epoll_event out;
    check("epoll ready", epoll_wait(ep, &out, 1, 0), 1);
    check("epoll ET again", epoll_wait(ep, &out, 1, 0), 0);
    write_file(path("r2"), "");
    check("epoll ET new event", epoll_wait(ep, &out, 1, 0), 1);
    drain(fd, "ready");
    check("poll drained", poll(&pfd, 1, 0), 0);

    /* A blocking read (another instance) woken by a child's change. */
    int bfd = inotify_init();
    inotify_add_watch(bfd, dir, IN_CREATE);
    pid_t child = fork();
    if (child == 0) {
        usleep(100000);
        write_file(path("from-child"), "");
        _exit(0);
    }
    char ebuf[256] __attribute__((aligned(8)));
    ssize_t n = read(bfd, ebuf, sizeof(ebuf));
    struct inotify_event *e = (struct inotify_event *)ebuf;
    check("blocking read woken", n > 0 && (e->mask & IN_CREATE) && strcmp(e->name, "from-child") == 0, 1);
    waitpid(child, NULL, 0);
    close(bfd);
    unlink(path("r1"));
    unlink(path("r2"));
    unlink(path("from-child"));
    drain(fd, "cleanup");
    inotify_rm_watch(fd, wr);
    drain(fd, "rm");

    printf("-- overflow\n");
    long maxq = 0;
    FILE *mq = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
    check("max_queued_events readable", mq != NULL && fscanf(mq, "%ld", &maxq) == 1 && maxq > 0, 1);
    if (mq) fclose(mq);
    FILE *mi = fopen("/proc/sys/fs/inotify/max_user_instances", "r");
    check("max_user_instances readable", mi != NULL, 1);
    if (mi) fclose(mi);
    FILE *mw = fopen("/proc/sys/fs/inotify/max_user_watches", "r");
    check("max_user_watches readable", mw != NULL, 1);
    if (mw) fclose(mw);
    if (maxq > 0 && maxq <= 1 << 20) {
        int of = open(path("ov"), O_RDWR | O_CREAT, 0600);
        int wov = inotify_add_watch(fd, path("ov"), IN_ACCESS | IN_MODIFY);
        char c = 'q';
        for (long i = 0; i < maxq + 10; i++) {
            if (i & 1) pread(of, &c, 1, 0);
            else pwrite(of, &c, 1, 0);
        }
        long total = 0, overflow = 0, last_wd = 0;
        uint32_t last_mask = 0;
        char big[65536] __attribute__((aligned(8)));
        for (;;) {
            ssize_t r = read(fd, big, sizeof(big));
            if (r <= 0) break;
            for (char *p = big; p < big + r;) {
                struct inotify_event *x = (struct inotify_event *)p;
                total++;
                if (x->mask & IN_Q_OVERFLOW) overflow++;
                last_wd = x->wd;
                last_mask = x->mask;
                p += sizeof(*x) + x->len;
            }
        }
        check("events queued = max_queued_events + 1", total == maxq + 1, 1);
        check("one overflow event", overflow, 1);
        check("overflow last, wd -1", last_wd == -1 && last_mask == IN_Q_OVERFLOW, 1);
        inotify_rm_watch(fd, wov);
        close(of);
        unlink(path("ov"));
        drain(fd, "after overflow");
    }

    printf("-- fanotify\n");
    check("fanotify_init", res(syscall(SYS_fanotify_init, 0, 0)), -EPERM);

    unlink(path("o"));
    unlink(path("link"));
    unlink(path("file"));
    close(fd);
    check("rmdir", res(rmdir(dir)), 0);
    printf("inotify: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
