/*
 * syscalls.c — exercises common system calls and prints deterministic output
 * (no pids, addresses or times), so that runs under runc and under csrunsc can be
 * compared byte for byte. Built by the tests with: gcc -static -O1 -o syscalls syscalls.c
 * Exit status: 0 when every check passed, 1 otherwise (each failure prints "FAIL ...").
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                   \
    do {                                                   \
        if (!(cond)) {                                     \
            printf("FAIL %s:%d: ", __func__, __LINE__);    \
            printf(__VA_ARGS__);                           \
            printf(" (errno %d %s)\n", errno, strerror(errno)); \
            failures++;                                    \
        }                                                  \
    } while (0)

struct linux_dirent64 {
    unsigned long long d_ino;
    long long d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static void test_file_io(void)
{
    const char *path = "/tmp/syscalls-test.txt";
    const char text[] = "hello, file\nsecond line\n";
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
    CHECK(fd >= 0, "open %s", path);
    if (fd < 0) return;
    ssize_t n = write(fd, text, sizeof text - 1);
    CHECK(n == (ssize_t)(sizeof text - 1), "write returned %zd", n);
    off_t off = lseek(fd, 7, SEEK_SET);
    CHECK(off == 7, "lseek returned %lld", (long long)off);
    char buf[64] = {0};
    n = read(fd, buf, 4);
    CHECK(n == 4 && memcmp(buf, "file", 4) == 0, "read after lseek got %zd '%.4s'", n, buf);
    off = lseek(fd, 0, SEEK_END);
    CHECK(off == (off_t)(sizeof text - 1), "lseek SEEK_END returned %lld", (long long)off);
    struct stat st;
    CHECK(fstat(fd, &st) == 0, "fstat");
    CHECK(S_ISREG(st.st_mode), "fstat mode %o is not a regular file", st.st_mode);
    CHECK(st.st_size == (off_t)(sizeof text - 1), "fstat size %lld", (long long)st.st_size);
    printf("file: size=%lld mode=%o read='%.4s'\n", (long long)st.st_size, st.st_mode & 07777, buf);
    CHECK(close(fd) == 0, "close");
    errno = 0;
    CHECK(read(fd, buf, 1) == -1 && errno == EBADF, "read on closed fd");
    CHECK(unlink(path) == 0, "unlink");
    errno = 0;
    CHECK(open(path, O_RDONLY) == -1 && errno == ENOENT, "open of unlinked file");
    printf("file: ok\n");
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_getdents(void)
{
    const char *dir = "/tmp/syscalls-dir";
    const char *names[] = {"zeta", "alpha", "mid", "beta.txt"};
    mkdir(dir, 0755);
    char path[256];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        int fd = open(path, O_CREAT | O_WRONLY, 0600);
        CHECK(fd >= 0, "create %s", path);
        if (fd >= 0) close(fd);
    }
    snprintf(path, sizeof path, "%s/subdir", dir);
    CHECK(mkdir(path, 0700) == 0, "mkdir %s", path);

    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0, "open dir");
    if (fd < 0) return;
    char *found[64];
    int count = 0;
    char buf[4096];
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
        CHECK(n >= 0, "getdents64");
        if (n <= 0) break;
        for (long pos = 0; pos < n;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + pos);
            if (count < 64) {
                char type = d->d_type == DT_DIR ? 'd' : d->d_type == DT_REG ? 'f' : '?';
                char *entry = malloc(strlen(d->d_name) + 3);
                sprintf(entry, "%s %c", d->d_name, type);
                found[count++] = entry;
            }
            pos += d->d_reclen;
        }
    }
    close(fd);
    qsort(found, count, sizeof found[0], compare_names);
    printf("getdents64: %d entries:", count);
    for (int i = 0; i < count; i++) {
        printf(" [%s]", found[i]);
        free(found[i]);
    }
    printf("\n");
    CHECK(count == 7, "expected 7 entries (with . and ..), got %d", count);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/subdir", dir);
    rmdir(path);
    CHECK(rmdir(dir) == 0, "rmdir");
}

static void test_mmap(void)
{
    const size_t page = 4096, pages = 16;
    unsigned char *p = mmap(NULL, page * pages, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap");
    if (p == MAP_FAILED) return;
    int zero = 1;
    for (size_t i = 0; i < page * pages; i++) {
        if (p[i] != 0) { zero = 0; break; }
    }
    CHECK(zero, "fresh anonymous memory is not zero");
    for (size_t i = 0; i < pages; i++) memset(p + i * page, (int)(i + 1), page);
    unsigned long sum = 0;
    for (size_t i = 0; i < page * pages; i++) sum += p[i];
    CHECK(sum == page * (pages * (pages + 1) / 2), "sum %lu", sum);
    CHECK(mprotect(p, page, PROT_READ) == 0, "mprotect");
    CHECK(munmap(p, page * pages) == 0, "munmap");
    printf("mmap: %zu pages, checksum=%lu\n", pages, sum);
}

static void test_fork_wait_pipe(void)
{
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    pid_t child = fork();
    CHECK(child >= 0, "fork");
    if (child == 0) {
        close(fds[0]);
        const char msg[] = "message through a pipe";
        if (write(fds[1], msg, sizeof msg - 1) != (ssize_t)(sizeof msg - 1)) _exit(100);
        close(fds[1]);
        _exit(42);
    }
    close(fds[1]);
    char buf[128] = {0};
    size_t total = 0;
    ssize_t n;
    while ((n = read(fds[0], buf + total, sizeof buf - 1 - total)) > 0) total += (size_t)n;
    close(fds[0]);
    int status = 0;
    pid_t waited = wait4(child, &status, 0, NULL);
    CHECK(waited == child, "wait4 returned another pid");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42, "child status %#x", status);
    printf("pipe: parent read %zu bytes: '%s'\n", total, buf);
    printf("wait4: child exited=%d status=%d\n", WIFEXITED(status), WEXITSTATUS(status));

    child = fork();
    if (child == 0) {
        raise(SIGKILL);
        _exit(0);
    }
    waited = wait4(child, &status, 0, NULL);
    CHECK(waited == child && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "killed child status %#x", status);
    printf("wait4: child signaled=%d signal=%d\n", WIFSIGNALED(status), WTERMSIG(status));
}

static void test_execve(void)
{
    fflush(stdout);
    pid_t child = fork();
    CHECK(child >= 0, "fork");
    if (child == 0) {
        char *argv[] = {"echo", "execve:", "echo", "from", "a", "child", NULL};
        char *envp[] = {"PATH=/bin", NULL};
        execve("/bin/echo", argv, envp);
        _exit(127);
    }
    int status = 0;
    CHECK(waitpid(child, &status, 0) == child, "waitpid");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "echo status %#x", status);
    printf("execve: echo exited %d\n", WEXITSTATUS(status));

    errno = 0;
    char *argv[] = {"nothere", NULL};
    CHECK(execve("/nonexistent/program", argv, argv + 1) == -1 && errno == ENOENT, "execve of a missing file");
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("syscalls: start\n");
    test_file_io();
    test_getdents();
    test_mmap();
    test_fork_wait_pipe();
    test_execve();
    printf("syscalls: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
