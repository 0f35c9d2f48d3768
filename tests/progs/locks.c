/* locks: file locks as Linux has them, on a rootfs file (/tmp) and a tmpfs file (/dev/shm).
 * fcntl record locks between processes (fork) - conflicts, F_GETLK reports (type, range, l_pid),
 * splitting and merging, l_whence SEEK_CUR/SEEK_END, negative lengths, len 0 = to EOF, release
 * when the process closes any fd of the file, on exit, not inherited by fork, shared by threads;
 * OFD locks (per open file description, conflicting with POSIX locks, l_pid -1, released on the
 * last close only); flock(2) (shared/exclusive, LOCK_NB, per description, non-atomic conversion,
 * independent of fcntl locks); F_SETLKW and flock waiting and woken by an unlock; EDEADLK;
 * F_SETLKW and flock interrupted by a signal (EINTR; alarm(2) is not in csrunsc yet); argument errors.
 * Deterministic output, one line per check; exit 0 when all checks pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;
static const char *where;

static void check(const char *what, long got, long want)
{
    if (got == want) {
        printf("ok   %s: %s = %ld\n", where, what, got);
    } else {
        printf("FAIL %s: %s = %ld (want %ld)\n", where, what, got, want);
        failures++;
    }
    fflush(stdout);
}

static long res(long r) { return r < 0 ? -errno : r; }

static long setlk(int fd, int cmd, short type, short whence, off_t start, off_t len)
{
    struct flock fl = { .l_type = type, .l_whence = whence, .l_start = start, .l_len = len };
    return res(fcntl(fd, cmd, &fl));
}

/* F_GETLK for a write lock over [start, start+len): the reported lock, or l_type F_UNLCK. */
static struct flock getlk(int fd, int cmd, short type, off_t start, off_t len)
{
    struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
    if (fcntl(fd, cmd, &fl) < 0) fl.l_type = (short)-errno;
    return fl;
}

/* Runs fn in a child process; returns fn's result (0 or 1). The child's failed checks count here. */
static int in_child(int (*fn)(void *), void *arg)
{
    fflush(stdout);
    int base = failures;
    pid_t p = fork();
    if (p == 0) {
        int r = fn(arg) ? 1 : 0;
        int n = failures - base;
        fflush(stdout);
        _exit(r + 2 * (n > 60 ? 60 : n));
    }
    int st;
    waitpid(p, &st, 0);
    if (!WIFEXITED(st)) {
        failures++;
        return 1;
    }
    failures += WEXITSTATUS(st) >> 1;
    return WEXITSTATUS(st) & 1;
}

static const char *path;
static pid_t parent_pid;

/* Child checks print their own lines (stdout is flushed before every fork). */
static int child_conflicts(void *arg)
{
    (void)arg;
    int fd = open(path, O_RDWR);
    check("child SETLK wr over parent's wr", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 5, 1), -EAGAIN);
    check("child SETLK rd over parent's wr", setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 9, 2), -EAGAIN);
    check("child SETLK rd beside it", setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 10, 5), 0);
    struct flock fl = getlk(fd, F_GETLK, F_WRLCK, 0, 0);
    check("child GETLK type", fl.l_type, F_WRLCK);
    check("child GETLK whence", fl.l_whence, SEEK_SET);
    check("child GETLK start", fl.l_start, 0);
    check("child GETLK len", fl.l_len, 10);
    check("child GETLK pid is parent", fl.l_pid == parent_pid, 1);
    fl = getlk(fd, F_GETLK, F_RDLCK, 10, 5);
    check("child GETLK rd over own rd lock", fl.l_type, F_UNLCK);
    return 0;
}

static int child_split(void *arg)
{
    (void)arg;
    int fd = open(path, O_RDWR);
    struct flock fl = getlk(fd, F_GETLK, F_WRLCK, 0, 1);
    check("split: left piece", fl.l_type == F_WRLCK && fl.l_start == 0 && fl.l_len == 10, 1);
    fl = getlk(fd, F_GETLK, F_WRLCK, 15, 1);
    check("split: converted middle is rd", fl.l_type == F_RDLCK && fl.l_start == 10 && fl.l_len == 10, 1);
    fl = getlk(fd, F_GETLK, F_RDLCK, 15, 1);
    check("split: rd request over rd middle", fl.l_type, F_UNLCK);
    fl = getlk(fd, F_GETLK, F_WRLCK, 30, 1);
    check("split: piece before hole", fl.l_type == F_WRLCK && fl.l_start == 20 && fl.l_len == 20, 1);
    fl = getlk(fd, F_GETLK, F_WRLCK, 50, 1);
    check("split: unlocked hole", fl.l_type, F_UNLCK);
    fl = getlk(fd, F_GETLK, F_WRLCK, 70, 1);
    check("split: right piece", fl.l_type == F_WRLCK && fl.l_start == 60 && fl.l_len == 40, 1);
    check("split: take hole", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 40, 20), 0);
    check("split: one past hole", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 40, 21), -EAGAIN);
    return 0;
}

static int child_merge(void *arg)
{
    (void)arg;
    int fd = open(path, O_RDWR);
    struct flock fl = getlk(fd, F_GETLK, F_WRLCK, 0, 0);
    check("merge: adjacent rd locks are one", fl.l_type == F_RDLCK && fl.l_start == 0 && fl.l_len == 20, 1);
    fl = getlk(fd, F_GETLK, F_WRLCK, 1000, 1);
    check("merge: SEEK_END -10 len 0 type", fl.l_type, F_WRLCK);
    check("merge: SEEK_END -10 len 0 start", fl.l_start, 90);
    check("merge: SEEK_END -10 len 0 len (to EOF)", fl.l_len, 0);
    fl = getlk(fd, F_GETLK, F_WRLCK, 45, 1);
    check("merge: negative len start", fl.l_start, 40);
    check("merge: negative len len", fl.l_len, 10);
    fl = getlk(fd, F_GETLK, F_WRLCK, 62, 1);
    check("merge: SEEK_CUR start", fl.l_start, 60);
    check("merge: SEEK_CUR len", fl.l_len, 5);
    return 0;
}

static int child_free(void *arg)
{
    long want = (long)arg;
    int fd = open(path, O_RDWR);
    return setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10) == want ? 0 : 1;
}

static int child_lock_and_exit(void *arg)
{
    (void)arg;
    int fd = open(path, O_RDWR);
    return setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 0) == 0 ? 0 : 1;
}

static int inherited_fd;

static int child_inherited(void *arg)
{
    (void)arg;
    /* The parent's POSIX lock is not the child's, even through the same description. */
    check("fork: POSIX lock not inherited", setlk(inherited_fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1), -EAGAIN);
    /* An OFD lock is the description's: the child shares it. */
    check("fork: OFD lock shared", setlk(inherited_fd, F_OFD_SETLK, F_WRLCK, SEEK_SET, 100, 1), 0);
    return 0;
}

static void *thread_lock(void *arg)
{
    int fd = *(int *)arg;
    check("thread: same process shares POSIX owner", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10), 0);
    int other = open(path, O_RDWR);
    check("thread: OFD on another description conflicts", setlk(other, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1), -EAGAIN);
    close(other);
    return NULL;
}

static void suite_posix(void)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    char buf[100];
    memset(buf, 'x', sizeof(buf));
    check("write 100 bytes", write(fd, buf, sizeof(buf)), 100);

    check("SETLK wr [0,10)", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10), 0);
    check("relock own range rd", setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 10), 0);
    check("back to wr", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10), 0);
    check("own GETLK sees nothing", getlk(fd, F_GETLK, F_WRLCK, 0, 0).l_type, F_UNLCK);
    in_child(child_conflicts, NULL);
    check("unlock all", setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0), 0);

    /* Splitting: wr [0,100), unlock [40,60), rd [10,20). */
    check("split: wr [0,100)", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 100), 0);
    check("split: unlock [40,60)", setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 40, 20), 0);
    check("split: rd [10,20)", setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 10, 10), 0);
    in_child(child_split, NULL);
    check("unlock all", setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0), 0);

    /* Merging and l_whence. */
    check("merge: rd [0,10)", setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 10), 0);
    check("merge: rd [10,20)", setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 10, 10), 0);
    check("merge: wr SEEK_END -10 len 0", setlk(fd, F_SETLK, F_WRLCK, SEEK_END, -10, 0), 0);
    check("merge: wr 50 len -10", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 50, -10), 0);
    check("lseek 58", lseek(fd, 58, SEEK_SET), 58);
    check("merge: wr SEEK_CUR +2 len 5", setlk(fd, F_SETLK, F_WRLCK, SEEK_CUR, 2, 5), 0);
    in_child(child_merge, NULL);
    check("unlock all", setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0), 0);

    /* Closing any fd of the file drops the process's locks. */
    check("close: wr [0,10)", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10), 0);
    check("close: child blocked", in_child(child_free, (void *)(long)-EAGAIN), 0);
    int other = open(path, O_RDONLY);
    close(other);
    check("close: another fd's close released it", in_child(child_free, (void *)0L), 0);
    check("close: wr again", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10), 0);
    int dupfd = dup(fd);
    close(dupfd);
    check("close: a dup's close released it", in_child(child_free, (void *)0L), 0);

    /* A child's locks go with it. */
    check("exit: child locked and exited", in_child(child_lock_and_exit, NULL), 0);
    check("exit: lock is free after child exit", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 0), 0);

    /* Threads share the process's locks. */
    pthread_t th;
    pthread_create(&th, NULL, thread_lock, &fd);
    pthread_join(th, NULL);

    /* Across fork. */
    check("fork: unlock all", setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0), 0);
    check("fork: wr [0,1)", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1), 0);
    inherited_fd = fd;
    in_child(child_inherited, NULL);
    check("fork: parent's OFD request meets child's OFD lock on shared description",
          setlk(fd, F_OFD_SETLK, F_WRLCK, SEEK_SET, 100, 1), 0);
    close(fd);

    /* Argument checks. */
    fd = open(path, O_RDWR);
    check("bad type", setlk(fd, F_SETLK, 7, SEEK_SET, 0, 1), -EINVAL);
    check("bad whence", setlk(fd, F_SETLK, F_WRLCK, 9, 0, 1), -EINVAL);
    check("negative start", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, -1, 1), -EINVAL);
    check("negative len before 0", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 5, -6), -EINVAL);
    check("len overflow", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, LLONG_MAX - 1, 10), -EOVERFLOW);
    check("GETLK with F_UNLCK", getlk(fd, F_GETLK, F_UNLCK, 0, 1).l_type, -EINVAL);
    struct flock fl = getlk(fd, F_GETLK, F_WRLCK, 123, 7);
    check("GETLK free: type", fl.l_type, F_UNLCK);
    check("GETLK free: start kept", fl.l_start, 123);
    check("GETLK free: len kept", fl.l_len, 7);
    check("bad fd", setlk(-1, F_SETLK, F_WRLCK, SEEK_SET, 0, 1), -EBADF);
    check("EFAULT", res(fcntl(fd, F_SETLK, (void *)8)), -EFAULT);
    close(fd);
    fd = open(path, O_RDONLY);
    check("wr lock on O_RDONLY", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1), -EBADF);
    check("rd lock on O_RDONLY", setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 1), 0);
    check("unlock on O_RDONLY", setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1), 0);
    close(fd);
    fd = open(path, O_WRONLY);
    check("rd lock on O_WRONLY", setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 1), -EBADF);
    close(fd);
    fd = open(path, O_PATH);
    check("lock on O_PATH", setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1), -EBADF);
    close(fd);
}

static void suite_ofd(void)
{
    int a = open(path, O_RDWR), b = open(path, O_RDWR);
    check("OFD wr on a", setlk(a, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10), 0);
    check("OFD wr on b (same process)", setlk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 5, 1), -EAGAIN);
    check("POSIX wr via b vs OFD lock", setlk(b, F_SETLK, F_WRLCK, SEEK_SET, 5, 1), -EAGAIN);
    struct flock fl = getlk(b, F_OFD_GETLK, F_RDLCK, 0, 0);
    check("OFD GETLK type", fl.l_type, F_WRLCK);
    check("OFD GETLK pid", fl.l_pid, -1);
    fl = getlk(b, F_GETLK, F_RDLCK, 0, 0);
    check("POSIX GETLK of OFD lock pid", fl.l_pid, -1);
    check("OFD l_pid must be 0", ({ struct flock x = { .l_type = F_WRLCK, .l_pid = 1 }; res(fcntl(b, F_OFD_SETLK, &x)); }), -EINVAL);
    check("OFD GETLK l_pid must be 0", ({ struct flock x = { .l_type = F_WRLCK, .l_pid = 1 }; res(fcntl(b, F_OFD_GETLK, &x)); }), -EINVAL);
    close(b);
    int c = open(path, O_RDWR);
    check("closing another description keeps OFD lock", setlk(c, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1), -EAGAIN);
    int d = dup(a);
    close(a);
    check("OFD lock survives while a dup is open", setlk(c, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1), -EAGAIN);
    close(d);
    check("last close released the OFD lock", setlk(c, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1), 0);
    check("POSIX via c vs own OFD lock", setlk(c, F_SETLK, F_WRLCK, SEEK_SET, 0, 1), -EAGAIN);
    close(c);
}

static int child_flock(void *arg)
{
    (void)arg;
    int fd = open(path, O_RDWR);
    check("child flock ex nb", res(flock(fd, LOCK_EX | LOCK_NB)), -EWOULDBLOCK);
    check("child flock sh nb", res(flock(fd, LOCK_SH | LOCK_NB)), -EWOULDBLOCK);
    check("child flock on inherited description", res(flock(inherited_fd, LOCK_EX | LOCK_NB)), 0);
    check("child fcntl lock is independent of flock", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 0), 0);
    return 0;
}

static int child_flock_shared(void *arg)
{
    int *pipes = arg; /* [0] read: go, [1] write: report */
    int fd = open(path, O_RDWR);
    char c;
    long r = res(flock(fd, LOCK_SH | LOCK_NB));
    write(pipes[1], &r, sizeof(r));
    read(pipes[0], &c, 1);
    /* The parent's failed conversion dropped its shared lock: ours can become exclusive. */
    r = res(flock(fd, LOCK_EX | LOCK_NB));
    write(pipes[1], &r, sizeof(r));
    read(pipes[0], &c, 1);
    return 0;
}

static void suite_flock(void)
{
    int fd = open(path, O_RDWR);
    check("flock ex", res(flock(fd, LOCK_EX)), 0);
    check("flock ex again", res(flock(fd, LOCK_EX | LOCK_NB)), 0);
    inherited_fd = fd;
    in_child(child_flock, NULL);
    check("flock un", res(flock(fd, LOCK_UN)), 0);
    check("flock bad op", res(flock(fd, 0)), -EINVAL);
    check("flock sh|ex", res(flock(fd, LOCK_SH | LOCK_EX)), -EINVAL);
    check("flock bad fd", res(flock(-1, LOCK_SH)), -EBADF);

    int go[2], rep[2];
    pipe(go);
    pipe(rep);
    int pipes[2] = { go[0], rep[1] };
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) _exit(child_flock_shared(pipes));
    long r;
    read(rep[0], &r, sizeof(r));
    check("child sh", r, 0);
    check("parent sh beside it", res(flock(fd, LOCK_SH | LOCK_NB)), 0);
    check("parent sh->ex nb refused", res(flock(fd, LOCK_EX | LOCK_NB)), -EWOULDBLOCK);
    write(go[1], "g", 1);
    read(rep[0], &r, sizeof(r));
    check("refused conversion dropped parent's sh: child ex", r, 0);
    check("parent sh now refused", res(flock(fd, LOCK_SH | LOCK_NB)), -EWOULDBLOCK);
    write(go[1], "g", 1);
    waitpid(p, NULL, 0);
    check("child exit (last close) released its flock", res(flock(fd, LOCK_EX | LOCK_NB)), 0);
    int d = dup(fd);
    close(fd);
    int other = open(path, O_RDWR);
    check("flock kept while a dup is open", res(flock(other, LOCK_EX | LOCK_NB)), -EWOULDBLOCK);
    close(d);
    check("flock released on last close", res(flock(other, LOCK_EX | LOCK_NB)), 0);
    close(other);
    close(go[0]);
    close(go[1]);
    close(rep[0]);
    close(rep[1]);
}

/* A child waits (F_SETLKW or flock) for the parent's lock; the parent unlocks after checking it still waits. */
static void suite_wait(int use_flock)
{
    int fd = open(path, O_RDWR);
    if (use_flock) flock(fd, LOCK_EX);
    else setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 0);
    int rep[2];
    pipe(rep);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        int f2 = open(path, O_RDWR);
        long r = use_flock ? res(flock(f2, LOCK_EX)) : setlk(f2, F_SETLKW, F_WRLCK, SEEK_SET, 5, 1);
        write(rep[1], &r, sizeof(r));
        _exit(0);
    }
    usleep(200000);
    long r = 1;
    check(use_flock ? "flock waiter still waits" : "SETLKW waiter still waits", res(fcntl(rep[0], F_SETFL, O_NONBLOCK)) == 0 && read(rep[0], &r, sizeof(r)) < 0 && errno == EAGAIN, 1);
    if (use_flock) flock(fd, LOCK_UN);
    else setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
    fcntl(rep[0], F_SETFL, 0);
    r = 1;
    read(rep[0], &r, sizeof(r));
    check(use_flock ? "flock waiter got the lock" : "SETLKW waiter got the lock", r, 0);
    waitpid(p, NULL, 0);
    close(rep[0]);
    close(rep[1]);
    close(fd);
}

/* Parent holds [0,1), child [1,2); each asks for the other's: exactly one of them gets EDEADLK. */
static void suite_deadlock(void)
{
    int fd = open(path, O_RDWR);
    setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1);
    int ready[2], rep[2];
    pipe(ready);
    pipe(rep);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        int f2 = open(path, O_RDWR);
        setlk(f2, F_SETLK, F_WRLCK, SEEK_SET, 1, 1);
        write(ready[1], "r", 1);
        usleep(100000);
        long r = setlk(f2, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1);
        if (r == -EDEADLK) setlk(f2, F_SETLK, F_UNLCK, SEEK_SET, 1, 1);
        write(rep[1], &r, sizeof(r));
        _exit(0);
    }
    char c;
    read(ready[0], &c, 1);
    long mine = setlk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 1, 1);
    if (mine == -EDEADLK) setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1);
    else setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0); /* let a waiting child finish */
    long theirs = 1;
    read(rep[0], &theirs, sizeof(theirs));
    waitpid(p, NULL, 0);
    check("deadlock: exactly one EDEADLK", (mine == -EDEADLK) + (theirs == -EDEADLK), 1);
    check("deadlock: the other was granted", (mine == 0) + (theirs == 0), 1);
    close(ready[0]); close(ready[1]); close(rep[0]); close(rep[1]);
    close(fd);
}

static void on_signal(int sig) { (void)sig; }

/* A wait interrupted by a signal whose handler has no SA_RESTART answers EINTR. The parent sends
 * SIGUSR1 every 50 ms until the waiter reports (so a signal that lands before it waits is harmless). */
static void suite_interrupt(void)
{
    int fd = open(path, O_RDWR);
    setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 0);
    flock(fd, LOCK_EX);
    int rep[2];
    pipe(rep);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        struct sigaction sa = { .sa_handler = on_signal };
        sigaction(SIGUSR1, &sa, NULL);
        int f2 = open(path, O_RDWR);
        long r = setlk(f2, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1);
        write(rep[1], &r, sizeof(r));
        r = res(flock(f2, LOCK_EX));
        write(rep[1], &r, sizeof(r));
        _exit(0);
    }
    long got[2] = { 1, 1 };
    fcntl(rep[0], F_SETFL, O_NONBLOCK);
    for (int n = 0; n < 2;) {
        usleep(50000);
        if (read(rep[0], &got[n], sizeof(long)) == sizeof(long)) n++;
        else kill(p, SIGUSR1);
    }
    waitpid(p, NULL, 0);
    check("SETLKW interrupted by a signal", got[0], -EINTR);
    check("flock interrupted by a signal", got[1], -EINTR);
    close(rep[0]);
    close(rep[1]);
    close(fd);
}

int main(void)
{
    static const char *const paths[] = { "/tmp/locks.dat", "/dev/shm/locks.dat" };
    static const char *const names[] = { "rootfs", "tmpfs" };
    parent_pid = getpid();
    for (int i = 0; i < 2; i++) {
        path = paths[i];
        where = names[i];
        suite_posix();
        suite_ofd();
        suite_flock();
        suite_wait(0);
        suite_wait(1);
        suite_deadlock();
        suite_interrupt();
        unlink(path);
    }
    printf("locks: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
