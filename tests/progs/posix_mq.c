/* posix_mq.c: POSIX message queues as Linux has them: mq_open create/exclusive/missing and
 * attribute limits, messages by priority (FIFO within one), EMSGSIZE, O_NONBLOCK (EAGAIN) and
 * mq_setattr toggling it, mq_timedreceive timing out, a receiver blocked until another process
 * sends, a sender blocked on a full queue, mq_notify with SIGEV_SIGNAL (SI_MESGQ, the value)
 * and EBUSY, poll readiness, the queue in /dev/mqueue (listing and the QSIZE line), unlink.
 * Deterministic output: no pids or times are printed. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

static int failures;

static void check(int ok, const char *what)
{
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    if (!ok) failures++;
}

static void check_errno(long r, int want, const char *what)
{
    int ok = r == -1 && errno == want;
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    if (!ok) {
        printf("  got %ld errno %d (%s), want errno %d\n", r, errno, strerror(errno), want);
        failures++;
    }
}

static volatile sig_atomic_t got_signo, got_code;
static volatile long got_value;

static void on_notify(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    got_signo = sig;
    got_code = si->si_code;
    got_value = (long)si->si_value.sival_ptr;
}

int main(void)
{
    const char *name = "/csrunsc-test-q";
    mq_unlink(name);
    check_errno(mq_open(name, O_RDWR), ENOENT, "mq_open of a missing queue");
    struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 64};
    mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
    check(q != (mqd_t)-1, "mq_open create");
    check_errno(mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr), EEXIST, "mq_open O_EXCL on an existing queue");
    struct mq_attr big = {.mq_maxmsg = 100000, .mq_msgsize = 64};
    check_errno(mq_open("/csrunsc-test-big", O_RDWR | O_CREAT, 0600, &big), EINVAL, "mq_maxmsg over the limit");
    struct mq_attr zero = {.mq_maxmsg = 0, .mq_msgsize = 64};
    check_errno(mq_open("/csrunsc-test-zero", O_RDWR | O_CREAT, 0600, &zero), EINVAL, "mq_maxmsg 0");
    check_errno(mq_open("/a/b", O_RDWR | O_CREAT, 0600, NULL), EACCES, "a name with a slash");
    check_errno(mq_open("noslash", O_RDWR | O_CREAT, 0600, NULL), EINVAL, "a name without the leading slash (glibc)");

    struct mq_attr got;
    check(mq_getattr(q, &got) == 0 && got.mq_maxmsg == 4 && got.mq_msgsize == 64 && got.mq_curmsgs == 0 && got.mq_flags == 0, "mq_getattr");

    mq_send(q, "low-1", 6, 1);
    mq_send(q, "high", 5, 9);
    mq_send(q, "low-2", 6, 1);
    mq_send(q, "mid", 4, 5);
    check(mq_getattr(q, &got) == 0 && got.mq_curmsgs == 4, "four messages queued");

    /* The queue shows in /dev/mqueue with its status line. */
    int listed = 0;
    DIR *d = opendir("/dev/mqueue");
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (strcmp(e->d_name, "csrunsc-test-q") == 0) listed = 1;
        closedir(d);
    }
    check(listed, "the queue is listed in /dev/mqueue");
    char line[128] = {0};
    int fd = open("/dev/mqueue/csrunsc-test-q", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, line, sizeof line - 1) : -1;
    if (fd >= 0) close(fd);
    printf("status line: %s", n > 0 ? line : "(none)\n");
    struct stat st;
    check(stat("/dev/mqueue/csrunsc-test-q", &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600, "stat of the queue file");

    struct pollfd pfd = {.fd = q, .events = POLLIN | POLLOUT};
    check(poll(&pfd, 1, 0) == 1 && pfd.revents == POLLIN, "poll: full queue is readable, not writable");

    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct timespec soon = now;
    soon.tv_nsec += 50 * 1000 * 1000;
    if (soon.tv_nsec >= 1000000000) {
        soon.tv_sec++;
        soon.tv_nsec -= 1000000000;
    }
    check_errno(mq_timedsend(q, "x", 1, 0, &soon), ETIMEDOUT, "mq_timedsend on a full queue times out");

    char buf[64];
    unsigned prio;
    for (int i = 0; i < 4; i++) {
        ssize_t k = mq_receive(q, buf, sizeof buf, &prio);
        printf("receive %d: '%s' prio %u (%zd bytes)\n", i, k > 0 ? buf : "", prio, k);
    }
    check_errno(mq_receive(q, buf, 10, NULL), EMSGSIZE, "a buffer smaller than mq_msgsize");
    char large[65] = {0};
    check_errno(mq_send(q, large, 65, 0), EMSGSIZE, "a message over mq_msgsize");
    check_errno(mq_send(q, "x", 1, 32768), EINVAL, "priority over MQ_PRIO_MAX");

    clock_gettime(CLOCK_REALTIME, &now);
    soon = now;
    soon.tv_nsec += 50 * 1000 * 1000;
    if (soon.tv_nsec >= 1000000000) {
        soon.tv_sec++;
        soon.tv_nsec -= 1000000000;
    }
    check_errno(mq_timedreceive(q, buf, sizeof buf, NULL, &soon), ETIMEDOUT, "mq_timedreceive on an empty queue times out");

    struct mq_attr nb = {.mq_flags = O_NONBLOCK}, old;
    check(mq_setattr(q, &nb, &old) == 0 && old.mq_flags == 0, "mq_setattr O_NONBLOCK");
    check_errno(mq_receive(q, buf, sizeof buf, NULL), EAGAIN, "non-blocking receive on an empty queue");
    nb.mq_flags = 0;
    mq_setattr(q, &nb, NULL);

    /* A receiver blocked in another process is woken by a send. */
    pid_t pid = fork();
    if (pid == 0) {
        char b[64];
        unsigned p;
        ssize_t k = mq_receive(q, b, sizeof b, &p);
        _exit(k == 6 && strcmp(b, "hello") == 0 && p == 3 ? 0 : 1);
    }
    usleep(100 * 1000);
    mq_send(q, "hello", 6, 3);
    int status;
    waitpid(pid, &status, 0);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "blocked receiver in a child got the message");

    /* A sender blocked on a full queue is woken by a receive. */
    for (int i = 0; i < 4; i++) mq_send(q, "fill", 5, 0);
    pid = fork();
    if (pid == 0) _exit(mq_send(q, "late", 5, 7) == 0 ? 0 : 1);
    usleep(100 * 1000);
    mq_receive(q, buf, sizeof buf, NULL);
    waitpid(pid, &status, 0);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "blocked sender in a child was let in");
    ssize_t k = mq_receive(q, buf, sizeof buf, &prio);
    check(k == 5 && strcmp(buf, "late") == 0 && prio == 7, "its message comes first (priority 7)");
    while (mq_getattr(q, &got) == 0 && got.mq_curmsgs > 0) mq_receive(q, buf, sizeof buf, NULL);

    /* mq_notify: a signal when a message arrives in the empty queue. */
    struct sigaction sa = {0};
    sa.sa_sigaction = on_notify;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    ev.sigev_value.sival_ptr = (void *)0x1234;
    check(mq_notify(q, &ev) == 0, "mq_notify SIGEV_SIGNAL");
    check_errno(mq_notify(q, &ev) == 0 ? 0 : -1, EBUSY, "second registration is EBUSY") ;
    pid = fork();
    if (pid == 0) {
        struct sigevent e2 = {0};
        e2.sigev_notify = SIGEV_NONE;
        int r = mq_notify(q, &e2);
        _exit(r == -1 && errno == EBUSY ? 0 : 1);
    }
    waitpid(pid, &status, 0);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "another process gets EBUSY");
    memset(line, 0, sizeof line);
    n = pread(q, line, sizeof line - 1, 0);
    check(n > 0 && strstr(line, "NOTIFY:0     SIGNO:10") != NULL, "status line (read through the mqd) shows the registration");
    mq_send(q, "ping", 5, 0);
    for (int i = 0; i < 100 && !got_signo; i++) usleep(1000);
    check(got_signo == SIGUSR1 && got_code == SI_MESGQ && got_value == 0x1234, "notification signal with SI_MESGQ and the value");
    if (got_signo != SIGUSR1 || got_code != SI_MESGQ || got_value != 0x1234)
        printf("  signo %d code %d value %#lx\n", (int)got_signo, (int)got_code, got_value);
    got_signo = 0;
    mq_receive(q, buf, sizeof buf, NULL);
    mq_send(q, "ping", 5, 0);
    usleep(10 * 1000);
    check(got_signo == 0, "the registration was used up");
    check(mq_notify(q, &ev) == 0 && mq_notify(q, NULL) == 0, "register and unregister");
    check(mq_notify(q, &ev) == 0, "register again after unregistering");
    /* Any close by the owner of a descriptor of the queue drops its registration. */
    fd = open("/dev/mqueue/csrunsc-test-q", O_RDONLY);
    close(fd);
    check(mq_notify(q, &ev) == 0, "closing another descriptor dropped the registration");
    mq_notify(q, NULL);

    check_errno(mq_send(0, "x", 1, 0), EBADF, "mq_send on a non-queue fd");
    mqd_t ro = mq_open(name, O_RDONLY);
    check_errno(mq_send(ro, "x", 1, 0), EBADF, "mq_send on a read-only descriptor");
    mq_close(ro);

    check(mq_unlink(name) == 0, "mq_unlink");
    check_errno(mq_unlink(name), ENOENT, "mq_unlink twice");
    check(mq_receive(q, buf, sizeof buf, NULL) == 5, "an unlinked queue still works through its descriptor");
    check(access("/dev/mqueue/csrunsc-test-q", F_OK) != 0, "gone from /dev/mqueue");
    mq_close(q);

    /* open(2) in the mount makes a queue with the default attributes. */
    fd = open("/dev/mqueue/csrunsc-test-default", O_RDWR | O_CREAT, 0644);
    check(fd >= 0, "open(O_CREAT) in /dev/mqueue");
    q = mq_open("/csrunsc-test-default", O_RDONLY);
    check(mq_getattr(q, &got) == 0 && got.mq_maxmsg == 10 && got.mq_msgsize == 8192, "default attributes 10 x 8192");
    mq_close(q);
    close(fd);
    check(unlink("/dev/mqueue/csrunsc-test-default") == 0, "unlink(2) in /dev/mqueue");

    /* RLIMIT_MSGQUEUE: each queue reserves maxmsg * msgsize (+ overheads) of its creator's limit. */
    struct rlimit rl = {30000, 30000};
    check(setrlimit(RLIMIT_MSGQUEUE, &rl) == 0, "setrlimit RLIMIT_MSGQUEUE 30000");
    struct mq_attr small = {.mq_maxmsg = 10, .mq_msgsize = 1024};
    mqd_t r1 = mq_open("/csrunsc-rl-1", O_RDWR | O_CREAT, 0600, &small);
    mqd_t r2 = mq_open("/csrunsc-rl-2", O_RDWR | O_CREAT, 0600, &small);
    check(r1 != (mqd_t)-1 && r2 != (mqd_t)-1, "two 10 x 1024 queues fit");
    check_errno(mq_open("/csrunsc-rl-3", O_RDWR | O_CREAT, 0600, &small), EMFILE, "a third is over the limit");
    mq_unlink("/csrunsc-rl-1");
    check_errno(mq_open("/csrunsc-rl-3", O_RDWR | O_CREAT, 0600, &small), EMFILE, "an unlinked queue still open keeps its reservation");
    mq_close(r1);
    mqd_t r3 = mq_open("/csrunsc-rl-3", O_RDWR | O_CREAT, 0600, &small);
    check(r3 != (mqd_t)-1, "closing the unlinked queue gave it back");
    mq_close(r2);
    mq_close(r3);
    mq_unlink("/csrunsc-rl-2");
    mq_unlink("/csrunsc-rl-3");

    printf("posix_mq: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures != 0;
}
