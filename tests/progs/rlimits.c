/* rlimits: resource limits as Linux enforces them. Default mode (uid 0 without CAP_SYS_RESOURCE,
 * as runc's default capabilities leave it): raising a hard limit is EPERM, lowering works,
 * RLIMIT_NOFILE caps fd allocation (EMFILE, dup2 EBADF, F_DUPFD EINVAL), RLIMIT_FSIZE shortens
 * writes and then answers EFBIG with SIGXFSZ (writes, ftruncate, truncate), RLIMIT_AS fails mmap,
 * brk and malloc with ENOMEM, RLIMIT_NPROC does not hold root back, RLIMIT_CORE is accepted,
 * getpriority answers 20-nice and lowering nice needs CAP_SYS_NICE. "rlimits user" (uid 4321):
 * RLIMIT_NPROC makes fork EAGAIN, prlimit of another user's process is EPERM.
 * "rlimits pids" forks until the pids cgroup limit answers EAGAIN, then recovers.
 * Deterministic output; exit 0 when all checks pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
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
    fflush(stdout);
}

static long res(long r) { return r < 0 ? -errno : r; }

static volatile int xfsz;
static void on_xfsz(int sig) { (void)sig; xfsz++; }

static void limits_and_permissions(void)
{
    struct rlimit r;
    check("getrlimit NOFILE", res(getrlimit(RLIMIT_NOFILE, &r)), 0);
    check("  soft (config.json)", (long)r.rlim_cur, 1024);
    check("  hard (config.json)", (long)r.rlim_max, 1024);
    r.rlim_max = 2048;
    check("raise hard NOFILE without CAP_SYS_RESOURCE", res(setrlimit(RLIMIT_NOFILE, &r)), -EPERM);
    r.rlim_cur = r.rlim_max = 1 << 21;
    check("NOFILE above nr_open", res(setrlimit(RLIMIT_NOFILE, &r)), -EPERM);
    r.rlim_cur = 2000; r.rlim_max = 1024;
    check("soft above hard", res(setrlimit(RLIMIT_NOFILE, &r)), -EINVAL);
    check("unknown resource", res(getrlimit(99, &r)), -EINVAL);
    check("bad pointer", res(getrlimit(RLIMIT_NOFILE, (struct rlimit *)8)), -EFAULT);
    r.rlim_cur = 512; r.rlim_max = 1000;
    check("lower NOFILE", res(setrlimit(RLIMIT_NOFILE, &r)), 0);
    r.rlim_max = 1024;
    check("raise it back", res(setrlimit(RLIMIT_NOFILE, &r)), -EPERM);
    struct rlimit old, nw = { 600, 1000 };
    check("prlimit(0) set and get", res(prlimit(0, RLIMIT_NOFILE, &nw, &old)), 0);
    check("  old soft", (long)old.rlim_cur, 512);
    check("prlimit of a missing pid", res(prlimit(99999, RLIMIT_NOFILE, NULL, &old)), -ESRCH);
    r.rlim_cur = 0; r.rlim_max = 0;
    check("RLIMIT_CORE 0", res(setrlimit(RLIMIT_CORE, &r)), 0);
    getrlimit(RLIMIT_CORE, &r);
    check("  read back", (long)r.rlim_cur, 0);

    /* A child's limits are its own copy. */
    pid_t c = fork();
    if (c == 0) {
        struct rlimit q = { 100, 1000 };
        setrlimit(RLIMIT_NOFILE, &q);
        for (;;) pause();
    }
    struct timespec ts = { 0, 100000000 };
    nanosleep(&ts, NULL);
    check("prlimit of a child", res(prlimit(c, RLIMIT_NOFILE, NULL, &old)), 0);
    check("  its soft limit", (long)old.rlim_cur, 100);
    getrlimit(RLIMIT_NOFILE, &r);
    check("  ours unchanged", (long)r.rlim_cur, 600);
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
}

static void nofile(void)
{
    struct rlimit r = { 10, 1000 };
    setrlimit(RLIMIT_NOFILE, &r);
    int last = -1, fd;
    while ((fd = dup(0)) >= 0) last = fd;
    check("dup until EMFILE", -errno, -EMFILE);
    check("  highest fd", last, 9);
    check("open at the limit", res(open("/", O_RDONLY)), -EMFILE);
    check("dup2 to fd 10", res(dup2(0, 10)), -EBADF);
    check("F_DUPFD from 10", res(fcntl(0, F_DUPFD, 10)), -EINVAL);
    int p[2];
    check("pipe at the limit", res(pipe(p)), -EMFILE);
    for (int i = 3; i <= last; i++) close(i);
    r.rlim_cur = 1000;
    setrlimit(RLIMIT_NOFILE, &r);
    check("dup2 to fd 500 after raising", res(dup2(0, 500)), 500);
    close(500);
}

static void fsize(void)
{
    signal(SIGXFSZ, on_xfsz);
    struct rlimit r = { 100, RLIM_INFINITY };
    check("set FSIZE 100", res(setrlimit(RLIMIT_FSIZE, &r)), 0);
    int fd = open("/tmp/rlimits-fsize", O_RDWR | O_CREAT | O_TRUNC, 0644);
    char buf[150];
    memset(buf, 'x', sizeof(buf));
    check("write past the limit is shortened", res(write(fd, buf, 150)), 100);
    check("  no SIGXFSZ yet", xfsz, 0);
    check("write at the limit", res(write(fd, buf, 10)), -EFBIG);
    check("  SIGXFSZ", xfsz, 1);
    check("pwrite at 99", res(pwrite(fd, buf, 10, 99)), 1);
    check("ftruncate to 200", res(ftruncate(fd, 200)), -EFBIG);
    check("  SIGXFSZ", xfsz, 2);
    check("ftruncate to 50 (shrinking)", res(ftruncate(fd, 50)), 0);
    check("truncate to 150", res(truncate("/tmp/rlimits-fsize", 150)), -EFBIG);
    check("  SIGXFSZ", xfsz, 3);
    struct stat st;
    fstat(fd, &st);
    check("file size", (long)st.st_size, 50);
    int a = open("/tmp/rlimits-fsize", O_WRONLY | O_APPEND);
    check("append of 60 at 50", res(write(a, buf, 60)), 50);
    close(a);
    close(fd);
    unlink("/tmp/rlimits-fsize");
    int w = open("/dev/null", O_WRONLY);
    check("/dev/null is not limited", res(write(w, buf, 150)), 150);
    close(w);
    r.rlim_cur = RLIM_INFINITY;
    setrlimit(RLIMIT_FSIZE, &r);

    /* Default action of SIGXFSZ: the process dies with a core-dump signal. */
    pid_t c = fork();
    if (c == 0) {
        signal(SIGXFSZ, SIG_DFL);
        struct rlimit q = { 0, RLIM_INFINITY };
        setrlimit(RLIMIT_FSIZE, &q);
        int f = open("/tmp/rlimits-fsize2", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        write(f, "x", 1);
        _exit(0);
    }
    int status;
    waitpid(c, &status, 0);
    check("SIGXFSZ by default kills", WIFSIGNALED(status) ? WTERMSIG(status) : -1, SIGXFSZ);
    unlink("/tmp/rlimits-fsize2");
}

static void address_space(void)
{
    pid_t c = fork();
    if (c == 0) {
        failures = 0;
        struct rlimit r = { 256UL << 20, 256UL << 20 };
        check("set AS 256 MiB", res(setrlimit(RLIMIT_AS, &r)), 0);
        void *p = mmap(NULL, 512UL << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        check("mmap 512 MiB", p == MAP_FAILED ? -errno : 0, -ENOMEM);
        p = mmap(NULL, 16UL << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        check("mmap 16 MiB", p == MAP_FAILED ? -errno : 0, 0);
        void *cur = sbrk(0);
        check("sbrk 512 MiB", sbrk(512UL << 20) == (void *)-1 ? -errno : 0, -ENOMEM);
        check("  break unchanged", sbrk(0) == cur, 1);
        check("malloc 512 MiB", malloc(512UL << 20) == NULL, 1);
        void *m = mremap(p, 16UL << 20, 600UL << 20, MREMAP_MAYMOVE);
        check("mremap to 600 MiB", m == MAP_FAILED ? -errno : 0, -ENOMEM);
        _exit(failures);
    }
    int st;
    waitpid(c, &st, 0);
    failures += WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

static void nproc_root(void)
{
    struct rlimit r = { 1, 1 };
    check("set NPROC 1", res(setrlimit(RLIMIT_NPROC, &r)), 0);
    pid_t c = fork();
    if (c == 0) _exit(0);
    check("root forks past NPROC", c > 0, 1);
    if (c > 0) waitpid(c, NULL, 0);
}

static void priority(void)
{
    errno = 0;
    check("getpriority (raw 20-nice)", res(syscall(140, PRIO_PROCESS, 0)), 20);
    check("setpriority nice 5", res(setpriority(PRIO_PROCESS, 0, 5)), 0);
    check("getpriority raw", res(syscall(140, PRIO_PROCESS, 0)), 15);
    check("glibc getpriority", getpriority(PRIO_PROCESS, 0), 5);
    check("setpriority back to 3 without CAP_SYS_NICE", res(setpriority(PRIO_PROCESS, 0, 3)), -EACCES);
    check("setpriority 50 clamps to 19", res(setpriority(PRIO_PROCESS, 0, 50)), 0);
    check("  raw", res(syscall(140, PRIO_PROCESS, 0)), 1);
    check("PRIO_PGRP of our group", res(syscall(140, PRIO_PGRP, 0)), 1);
    check("bad which", res(syscall(140, 7, 0)), -EINVAL);
    check("missing pid", res(syscall(140, PRIO_PROCESS, 99999)), -ESRCH);
    check("setpriority missing pid", res(setpriority(PRIO_PROCESS, 99999, 0)), -ESRCH);
    pid_t c = fork();
    if (c == 0) _exit(getpriority(PRIO_PROCESS, 0));
    int st;
    waitpid(c, &st, 0);
    check("nice inherited by fork", WEXITSTATUS(st), 19);
}

static void user_mode(void)
{
    struct rlimit r;
    getrlimit(RLIMIT_NOFILE, &r);
    r.rlim_max += 1;
    check("user raises hard NOFILE", res(setrlimit(RLIMIT_NOFILE, &r)), -EPERM);
    r.rlim_cur = 100; r.rlim_max = 100;
    check("set NPROC 100", res(setrlimit(RLIMIT_NPROC, &r)), 0);
    pid_t c = fork();
    if (c == 0) _exit(0);
    check("fork under NPROC 100", c > 0, 1);
    if (c > 0) waitpid(c, NULL, 0);
    r.rlim_cur = 1;
    check("set NPROC soft 1", res(setrlimit(RLIMIT_NPROC, &r)), 0);
    c = fork();
    if (c == 0) _exit(0);
    check("fork over NPROC", c < 0 ? -errno : 0, -EAGAIN);
    r.rlim_cur = 100;
    setrlimit(RLIMIT_NPROC, &r);
    check("prlimit of our own pid", res(prlimit(getpid(), RLIMIT_NOFILE, NULL, &r)), 0);
    check("setpriority -1 as a user", res(setpriority(PRIO_PROCESS, 0, -1)), -EACCES);
}

static void pids_mode(void)
{
    pid_t kids[4096];
    int n = 0, err = 0;
    while (n < 4096) {
        pid_t c = fork();
        if (c == 0) {
            for (;;) pause();
        }
        if (c < 0) {
            err = errno;
            break;
        }
        kids[n++] = c;
    }
    check("fork under the pids limit fails", err, EAGAIN);
    check("  after some children", n > 0, 1);
    for (int i = 0; i < n; i++) kill(kids[i], SIGKILL);
    int reaped = 0;
    while (waitpid(-1, NULL, 0) > 0) reaped++;
    check("every child reaped", reaped == n, 1);
    pid_t c = fork();
    if (c == 0) _exit(5);
    int st = 0;
    if (c > 0) waitpid(c, &st, 0);
    check("fork works again", c > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1, 5);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *mode = argc > 1 ? argv[1] : "root";
    if (strcmp(mode, "user") == 0) {
        user_mode();
    } else if (strcmp(mode, "pids") == 0) {
        pids_mode();
    } else {
        limits_and_permissions();
        nofile();
        fsize();
        address_space();
        nproc_root();
        priority();
    }
    printf("rlimits: %s (%d failures)\n", failures ? "FAIL" : "ok", failures);
    return failures ? 1 : 0;
}
