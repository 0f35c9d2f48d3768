// What a platform must get right for single-threaded code, one line per check: write/getpid,
// anonymous mmap touched page by page, munmap then a touch (SIGSEGV, SEGV_MAPERR, si_addr),
// mprotect read-only then a store (SEGV_ACCERR), int3 (SIGTRAP), ud2 (SIGILL), division by zero
// (SIGFPE, FPE_INTDIV), SSE state kept across syscalls and restored after a handler, the vsyscall
// page's time(), TLS through FS, and an exit status. Used by KvmPlatformTests under runc and both
// csrunsc platforms.
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile int got_sig, got_code;
static volatile void *got_addr;
static __thread int tls_value = 42;

static void handler(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    got_sig = sig;
    got_code = si->si_code;
    got_addr = si->si_addr;
    volatile double x = 3.0;   // the handler's own SSE use must not leak into the interrupted code
    x = x * 7.0;
    siglongjmp(env, 1);
}

static int expect(const char *what, void (*fn)(void *), void *arg, int sig, int code, void *addr) {
    got_sig = got_code = 0;
    got_addr = 0;
    if (sigsetjmp(env, 1) == 0) {
        fn(arg);
        printf("%s: no signal\n", what);
        return 1;
    }
    int ok = got_sig == sig && (code < 0 || got_code == code) && (addr == 0 || got_addr == addr);
    printf("%s: signal %d code %d%s\n", what, got_sig, got_code, ok ? "" : " (unexpected)");
    return !ok;
}

static void touch(void *p) { *(volatile char *)p = 1; }
static void trap(void *p) { (void)p; __asm__ volatile("int3"); }
static void undefined(void *p) { (void)p; __asm__ volatile("ud2"); }
static void divide(void *p) { volatile int z = (int)(intptr_t)p; volatile int r = 10 / z; (void)r; }

int main(void) {
    int failures = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, 0);
    sigaction(SIGTRAP, &sa, 0);
    sigaction(SIGILL, &sa, 0);
    sigaction(SIGFPE, &sa, 0);

    printf("getpid %d, getppid %d\n", getpid(), getppid());
    size_t len = 64 << 20;
    unsigned char *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned long sum = 0;
    for (size_t i = 0; i < len; i += 4096) p[i] = (unsigned char)(i >> 12);
    for (size_t i = 0; i < len; i += 4096) sum += p[i];
    printf("mmap 64 MiB: sum %lu\n", sum);
    munmap(p + (1 << 20), 1 << 20);
    failures += expect("touch after munmap", touch, p + (1 << 20) + 100, SIGSEGV, SEGV_MAPERR, p + (1 << 20) + 100);
    mprotect(p, 4096, PROT_READ);
    failures += expect("store to read-only", touch, p + 8, SIGSEGV, SEGV_ACCERR, p + 8);
    mprotect(p, 4096, PROT_READ | PROT_WRITE);
    p[8] = 9;
    printf("store after mprotect back: %d\n", p[8]);
    munmap(p, len);
    failures += expect("int3", trap, 0, SIGTRAP, -1, 0);
    failures += expect("ud2", undefined, 0, SIGILL, ILL_ILLOPN, 0);
    failures += expect("divide by zero", divide, 0, SIGFPE, FPE_INTDIV, 0);

    volatile double acc = 1.0;
    for (int i = 0; i < 50; i++) { acc *= 1.0625; getpid(); }
    printf("sse across syscalls: %.9f\n", acc);

    time_t (*vtime)(time_t *) = (time_t (*)(time_t *))0xffffffffff600400;
    time_t now = time(0), v = vtime(0);
    printf("vsyscall time: %s\n", v >= now && v - now < 5 ? "ok" : "wrong");
    printf("tls: %d\n", tls_value);
    printf("platform_basics: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 5;
}
