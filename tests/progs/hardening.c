/* hardening CASE: guest tricks that once crashed or wedged the Sentry, or that a sandbox must
 * answer as Linux would. Each case prints one line per check and a final
 * "hardening CASE: ok (N failures)" line; the same lines under runc and csrunsc.
 *   farjump  - code in the 32-bit code segment (a far jump to CS 0x23) faulting on a fresh page
 *   int80    - int 0x80 from 64-bit code is never a 64-bit dispatch of its registers
 *   vsyscall - calls into the legacy vsyscall page (time, gettimeofday, getcpu)
 *   trapflag - TF is cleared when a signal handler starts
 *   mmaphint - a non-fixed mmap whose hint + length overflows or passes TASK_SIZE
 *   stubrange- mmap/mprotect/munmap at the top of the address space
 *   txtbsy   - ETXTBSY for writing a running executable, and for exec of a file open for writing */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *what)
{
    printf("%s: %s\n", what, ok ? "ok" : "FAIL");
    if (!ok) failures++;
}

/* ---- farjump: 32-bit code touching a page the process has never touched ---- */
static volatile uint64_t saved_rsp;

static void far_jump_case(void)
{
    unsigned char *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    unsigned char *fresh = mmap(NULL, 65536 * 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (code == MAP_FAILED || fresh == MAP_FAILED) { check(0, "farjump mmap MAP_32BIT"); return; }
    unsigned char *target = fresh + 65536 * 2 + 12; /* far from anything touched */
    memset(code, 0xcc, 4096);
    unsigned char *p = code;
    /* 32-bit code: mov eax,0x2b; mov ds,eax; mov es,eax; mov ebx,target; mov dword [ebx],42;
     * jmp far 0x33:code+0x80 */
    *p++ = 0xb8; *(uint32_t *)p = 0x2b; p += 4;
    *p++ = 0x8e; *p++ = 0xd8;
    *p++ = 0x8e; *p++ = 0xc0;
    *p++ = 0xbb; *(uint32_t *)p = (uint32_t)(uintptr_t)target; p += 4;
    *p++ = 0xc7; *p++ = 0x03; *(uint32_t *)p = 42; p += 4;
    *p++ = 0xea; *(uint32_t *)p = (uint32_t)(uintptr_t)(code + 0x80); p += 4; *(uint16_t *)p = 0x33; p += 2;
    /* 64-bit landing: movabs rax,&saved_rsp; mov rsp,[rax]; ret */
    p = code + 0x80;
    *p++ = 0x48; *p++ = 0xb8; *(uint64_t *)p = (uint64_t)(uintptr_t)&saved_rsp; p += 8;
    *p++ = 0x48; *p++ = 0x8b; *p++ = 0x20;
    *p++ = 0xc3;
    struct __attribute__((packed)) { uint32_t off; uint16_t sel; } far = { (uint32_t)(uintptr_t)code, 0x23 };
    __asm__ volatile(
        "sub $256, %%rsp\n"
        "lea 1f(%%rip), %%rax\n"
        "push %%rax\n"
        "mov %%rsp, saved_rsp(%%rip)\n"
        "ljmpl *(%0)\n"
        "1:\n"
        "add $256, %%rsp\n"
        :
        : "r"(&far)
        : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc");
    check(*(volatile uint32_t *)target == 42, "farjump: 32-bit code wrote a fresh page");
    /* Again, in a child that dies in 32-bit mode on an unmapped address: SIGSEGV, not a hang. */
    pid_t kid = fork();
    if (kid == 0) {
        *(uint32_t *)(code + 10) = 0x1000; /* mov ebx,0x1000: never mapped */
        __asm__ volatile("ljmpl *(%0)" : : "r"(&far) : "memory");
        _exit(0);
    }
    int st;
    waitpid(kid, &st, 0);
    check(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "farjump: a bad access in 32-bit mode is SIGSEGV");
    /* And the same access after the guest touched its target from 64-bit code in a child. */
    kid = fork();
    if (kid == 0) {
        unsigned char *other = fresh + 65536 * 3 + 40;
        *(uint32_t *)(code + 10) = (uint32_t)(uintptr_t)other;
        __asm__ volatile(
            "sub $256, %%rsp\n"
            "lea 1f(%%rip), %%rax\n"
            "push %%rax\n"
            "mov %%rsp, saved_rsp(%%rip)\n"
            "ljmpl *(%0)\n"
            "1:\n"
            "add $256, %%rsp\n"
            :
            : "r"(&far)
            : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc");
        _exit(*(volatile uint32_t *)other == 42 ? 0 : 1);
    }
    waitpid(kid, &st, 0);
    check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "farjump: in a forked child (copy-on-write page)");
}

/* ---- int80 ---- */
static void int80_case(void)
{
    static const char msg[] = "int80: 64-bit dispatch!\n";
    struct iovec iov = { (void *)msg, sizeof msg - 1 };
    long r;
    /* eax=20: getpid for the 32-bit table, writev for the 64-bit one. */
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L), "D"(1L), "S"(&iov), "d"(1L), "b"(0L), "c"(0L) : "memory", "r8", "r9", "r10", "r11");
    check(r == getpid() || r == -ENOSYS, "int80: 32-bit getpid or ENOSYS, never 64-bit writev");
    /* eax=1 is exit in both tables: in a child, so the parent sees how it ended. */
    pid_t kid = fork();
    if (kid == 0) {
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(1L), "b"(7L), "D"(9L) : "memory", "rcx", "r11");
        _exit(r == -ENOSYS ? 8 : 10);
    }
    int st;
    waitpid(kid, &st, 0);
    /* Linux: exit(ebx=7); a 64-bit dispatch would be write(fd=rdi=9, ...) then _exit(10). */
    check(WIFEXITED(st) && (WEXITSTATUS(st) == 7 || WEXITSTATUS(st) == 8), "int80: exit is never the 64-bit write");
}

/* ---- vsyscall ---- */
static void vsyscall_case(void)
{
    typedef long (*gtod_t)(struct timeval *, void *);
    typedef long (*time_t_fn)(long *);
    typedef long (*getcpu_t)(unsigned *, unsigned *, void *);
    struct timeval tv = { 0, 0 };
    long r = ((gtod_t)0xffffffffff600000ul)(&tv, NULL);
    struct timeval now;
    gettimeofday(&now, NULL);
    check(r == 0 && tv.tv_sec > 1000000000 && now.tv_sec - tv.tv_sec < 5, "vsyscall gettimeofday");
    long t = 0;
    long rt = ((time_t_fn)0xffffffffff600400ul)(&t);
    check(rt > 1000000000 && rt == t && time(NULL) - rt < 5, "vsyscall time");
    unsigned cpu = 9999, node = 9999;
    r = ((getcpu_t)0xffffffffff600800ul)(&cpu, &node, NULL);
    check(r == 0 && cpu < 4096 && node < 4096, "vsyscall getcpu");
    /* Anything else in the page is a SIGSEGV. */
    pid_t kid = fork();
    if (kid == 0) {
        ((time_t_fn)0xffffffffff600100ul)(NULL);
        _exit(0);
    }
    int st;
    waitpid(kid, &st, 0);
    check(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "vsyscall: a misaligned entry is SIGSEGV");
}

/* ---- trapflag ---- */
static volatile int steps, tf_in_handler;

static void on_trap(int sig, siginfo_t *si, void *uc_)
{
    (void)sig; (void)si;
    ucontext_t *uc = uc_;
    unsigned long flags;
    __asm__ volatile("pushfq; popq %0" : "=r"(flags));
    if (flags & 0x100) tf_in_handler = 1;
    if (++steps >= 3) uc->uc_mcontext.gregs[REG_EFL] &= ~0x100L;
}

static void trapflag_case(void)
{
    struct sigaction sa = { 0 };
    sa.sa_sigaction = on_trap;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGTRAP, &sa, NULL);
    __asm__ volatile(
        "pushfq\n"
        "orq $0x100, (%%rsp)\n"
        "popfq\n"
        "nop\nnop\nnop\nnop\nnop\nnop\n" ::: "memory", "cc");
    check(steps >= 3, "trapflag: single steps reach the handler");
    check(!tf_in_handler, "trapflag: TF is clear inside the handler");
    signal(SIGTRAP, SIG_DFL);
}

/* ---- mmaphint ---- */
static void mmaphint_case(void)
{
    const uintptr_t task_size = 0x7ffffffff000ul;
    struct { uintptr_t hint; size_t len; const char *what; } c[] = {
        { 0xfffffffffff00000ul, 0x200000, "mmaphint: hint + length wraps around" },
        { task_size - 0x1000, 0x10000, "mmaphint: hint + length passes TASK_SIZE" },
        { 0x7fff00000000ul, 0x100000000ul, "mmaphint: hint below TASK_SIZE, end above" },
        { 0x800000000000ul, 0x1000, "mmaphint: hint above TASK_SIZE" },
    };
    for (unsigned i = 0; i < sizeof c / sizeof c[0]; i++) {
        char *m = mmap((void *)c[i].hint, c[i].len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        int ok;
        if (m == MAP_FAILED) ok = errno == ENOMEM;
        else {
            uintptr_t a = (uintptr_t)m;
            ok = a + c[i].len > a && a + c[i].len <= task_size;
            m[0] = 1;
            m[c[i].len - 1] = 2;
            ok = ok && munmap(m, c[i].len) == 0;
        }
        check(ok, c[i].what);
    }
    errno = 0;
    void *m = mmap((void *)0xfffffffffff00000ul, 0x200000, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    check(m == MAP_FAILED && errno == ENOMEM, "mmaphint: MAP_FIXED wrapping is ENOMEM");
    m = mmap(NULL, (size_t)-4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check(m == MAP_FAILED && errno == ENOMEM, "mmaphint: a length near 2^64 is ENOMEM");
}

/* ---- stubrange: above TASK_SIZE nothing can be mapped; below it, as Linux ---- */
static void stubrange_case(void)
{
    errno = 0;
    void *m = mmap((void *)0x800000000000ul, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    check(m == MAP_FAILED && errno == ENOMEM, "stubrange: MAP_FIXED above TASK_SIZE is ENOMEM");
    errno = 0;
    check(mprotect((void *)0x800000000000ul, 4096, PROT_READ | PROT_WRITE) == -1 && errno == ENOMEM,
          "stubrange: mprotect above TASK_SIZE is ENOMEM");
    errno = 0;
    check(munmap((void *)0x800000000000ul, 4096) == -1 && errno == EINVAL, "stubrange: munmap above TASK_SIZE is EINVAL");
    errno = 0;
    check(munmap((void *)0xffffffffff600000ul, 4096) == -1 && errno == EINVAL, "stubrange: munmap of the vsyscall page is EINVAL");
}

/* ---- txtbsy ---- */
static void txtbsy_case(void)
{
    errno = 0;
    int fd = open("/proc/self/exe", O_WRONLY);
    check(fd < 0 && errno == ETXTBSY, "txtbsy: open of the running executable for writing");
    if (fd >= 0) close(fd);
    /* exec of a file open for writing */
    int in = open("/proc/self/exe", O_RDONLY);
    int out = open("/tmp/hardening-copy", O_WRONLY | O_CREAT | O_TRUNC, 0755);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0) write(out, buf, (size_t)n);
    close(in);
    pid_t kid = fork();
    if (kid == 0) {
        char *argv[] = { "hardening-copy", "none", NULL };
        execv("/tmp/hardening-copy", argv);
        _exit(errno == ETXTBSY ? 3 : 4);
    }
    int st;
    waitpid(kid, &st, 0);
    check(WIFEXITED(st) && WEXITSTATUS(st) == 3, "txtbsy: exec of a file open for writing");
    close(out);
    unlink("/tmp/hardening-copy");
}

int main(int argc, char **argv)
{
    const char *c = argc > 1 ? argv[1] : "";
    setvbuf(stdout, NULL, _IONBF, 0);
    if (!strcmp(c, "farjump")) far_jump_case();
    else if (!strcmp(c, "int80")) int80_case();
    else if (!strcmp(c, "vsyscall")) vsyscall_case();
    else if (!strcmp(c, "trapflag")) trapflag_case();
    else if (!strcmp(c, "mmaphint")) mmaphint_case();
    else if (!strcmp(c, "stubrange")) stubrange_case();
    else if (!strcmp(c, "txtbsy")) txtbsy_case();
    else if (!strcmp(c, "none")) return 0;
    else { printf("hardening: unknown case '%s'\n", c); return 2; }
    printf("hardening %s: ok (%d failures)\n", c, failures);
    return failures ? 1 : 0;
}
