/* mmap_eof.c: file mappings past the end of the file, and mmap's argument checks. A page wholly
 * past EOF raises SIGBUS (BUS_ADRERR) on access and EFAULT when a syscall reads it; growing the
 * file makes it readable (zeros); truncating a shared mapping's file down and up again zeroes what
 * was cut. Deterministic output; compared with runc. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096

static sigjmp_buf env;
static volatile int got_sig, got_code;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_sig = sig;
    got_code = si->si_code;
    siglongjmp(env, 1);
}

static void touch(const char *what, volatile char *p, int write)
{
    got_sig = 0;
    if (sigsetjmp(env, 1) == 0) {
        if (write) *p = 'w';
        else (void)*p;
        printf("%s: ok\n", what);
    } else {
        printf("%s: %s code %d\n", what, got_sig == SIGBUS ? "SIGBUS" : got_sig == SIGSEGV ? "SIGSEGV" : "?", got_code);
    }
}

static void check(const char *what, long r)
{
    printf("%s: %s\n", what, r < 0 ? strerror(errno) : "ok");
}

int main(void)
{
    struct sigaction sa = { 0 };
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);

    int fd = open("/tmp/mmap-eof", O_CREAT | O_RDWR | O_TRUNC, 0600);
    if (fd < 0) {
        printf("open /tmp/mmap-eof: %s\n", strerror(errno));
        return 1;
    }
    write(fd, "one page", 8);
    char *p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) return 1;
    touch("private page 0", p, 0);
    printf("page 0 tail is zero: %d\n", p[100] == 0);
    touch("private page 1 read", p + PAGE, 0);
    touch("private page 2 write", p + 2 * PAGE, 1);
    int pfd[2];
    pipe(pfd);
    check("write() from past EOF", write(pfd[1], p + PAGE, 16));
    check("read() into past EOF", read(open("/dev/zero", O_RDONLY), p + PAGE, 16));
    ftruncate(fd, 2 * PAGE);
    touch("page 1 after growing the file", p + PAGE, 0);
    touch("page 2 still past EOF", p + 2 * PAGE, 0);

    char *s = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    memset(s, 'A', 2 * PAGE);
    ftruncate(fd, PAGE / 2);
    ftruncate(fd, 2 * PAGE);
    printf("shared after truncate down and up: first half '%c' second half %d page 1 %d\n", s[0], s[PAGE / 2 + 10], s[PAGE + 10]);

    /* The checks. */
    check("offset past the largest file offset", (long)mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, (off_t)-PAGE) == -1 ? -1 : 0);
    int opath = open("/tmp/mmap-eof", O_PATH);
    check("O_PATH descriptor", (long)mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, opath, 0) == -1 ? -1 : 0);
    int null = open("/dev/null", O_RDWR);
    check("/dev/null", (long)mmap(NULL, PAGE, PROT_READ, MAP_SHARED, null, 0) == -1 ? -1 : 0);
    int zero = open("/dev/zero", O_RDWR);
    check("/dev/zero", (long)mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, zero, 0) == -1 ? -1 : 0);
    check("anonymous MAP_SHARED_VALIDATE", (long)mmap(NULL, PAGE, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0) == -1 ? -1 : 0);
    check("mprotect huge length", mprotect(p, (size_t)-1, PROT_READ));
    check("mprotect zero length", mprotect(p, 0, PROT_READ));
    unlink("/tmp/mmap-eof");
    printf("mmap_eof: done\n");
    return 0;
}
