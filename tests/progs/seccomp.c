/* seccomp: the guest's own seccomp filters, installed with seccomp(2) and prctl. Invalid
 * programs (EINVAL), EACCES without no_new_privs as a non-root user, ERRNO (and its 4095 cap),
 * TRAP with the SIGSYS siginfo fields, TRACE as ENOSYS with no tracer, stacked filters (the most
 * restrictive action wins), inheritance across fork, KILL_THREAD and KILL_PROCESS statuses,
 * strict mode, GET_ACTION_AVAIL, PR_GET_SECCOMP and /proc/self/status. Each case runs in a
 * forked child. Deterministic output; exit 0 when all checks pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

static int failures;

static void check(const char *what, long got, long want)
{
    if (got == want) printf("ok   %s = %ld\n", what, got);
    else { printf("FAIL %s = %ld (want %ld)\n", what, got, want); failures++; }
    fflush(stdout);
}

static long sc(long op, long flags, void *arg)
{
    long r = syscall(SYS_seccomp, op, flags, arg);
    return r < 0 ? -errno : r;
}

/* A filter: syscall `nr` gets `action`, everything else is allowed. */
static long install_for(int nr, unsigned action, unsigned flags)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, action),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog p = { sizeof f / sizeof f[0], f };
    return sc(SECCOMP_SET_MODE_FILTER, flags, &p);
}

static long errno_of(long r) { return r < 0 ? -errno : r; }

/* Runs fn in a child; returns its wait status. */
static int in_child(void (*fn)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) { fn(); fflush(stdout); _exit(0); }
    int st = 0;
    waitpid(pid, &st, 0);
    return st;
}

static void invalid_programs(void)
{
    struct sock_filter bad_op[] = { { 0xffff, 0, 0, 0 }, BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    struct sock_filter bad_jump[] = { BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    struct sock_filter no_ret[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0) };
    struct sock_filter bad_load[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    struct sock_filter far_load[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    struct sock_filter div0[] = { BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    struct sock_filter ok[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    struct sock_fprog p;
    p = (struct sock_fprog){ 2, bad_op }; check("bad opcode", sc(SECCOMP_SET_MODE_FILTER, 0, &p), -EINVAL);
    p = (struct sock_fprog){ 2, bad_jump }; check("jump out of range", sc(SECCOMP_SET_MODE_FILTER, 0, &p), -EINVAL);
    p = (struct sock_fprog){ 1, no_ret }; check("no final ret", sc(SECCOMP_SET_MODE_FILTER, 0, &p), -EINVAL);
    p = (struct sock_fprog){ 2, bad_load }; check("misaligned load", sc(SECCOMP_SET_MODE_FILTER, 0, &p), -EINVAL);
    p = (struct sock_fprog){ 2, far_load }; check("load past seccomp_data", sc(SECCOMP_SET_MODE_FILTER, 0, &p), -EINVAL);
    p = (struct sock_fprog){ 2, div0 }; check("division by constant 0", sc(SECCOMP_SET_MODE_FILTER, 0, &p), -EINVAL);
    p = (struct sock_fprog){ 0, ok }; check("empty program", sc(SECCOMP_SET_MODE_FILTER, 0, &p), -EINVAL);
    p = (struct sock_fprog){ 4097, ok }; check("too long", sc(SECCOMP_SET_MODE_FILTER, 0, &p), -EINVAL);
    p = (struct sock_fprog){ 1, ok }; check("unknown flag", sc(SECCOMP_SET_MODE_FILTER, 1u << 20, &p), -EINVAL);
    check("unknown op", sc(99, 0, NULL), -EINVAL);
    check("bad pointer", sc(SECCOMP_SET_MODE_FILTER, 0, (void *)8), -EFAULT);
    check("strict with flags", sc(SECCOMP_SET_MODE_STRICT, 1, NULL), -EINVAL);
    check("still no filter", prctl(PR_GET_SECCOMP), 0);
}

static void no_nnp_as_user(void)
{
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) { printf("FAIL setresuid\n"); return; }
    check("no_new_privs", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
    check("filter without no_new_privs", install_for(SYS_getpid, SECCOMP_RET_ERRNO | 1, 0), -EACCES);
    check("set no_new_privs", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
    check("filter with no_new_privs", install_for(SYS_getpid, SECCOMP_RET_ERRNO | 1, 0), 0);
    check("getpid denied", errno_of(syscall(SYS_getpid)), -EPERM);
}

static void errno_action(void)
{
    check("install ERRNO(13) for getppid", install_for(SYS_getppid, SECCOMP_RET_ERRNO | 13, 0), 0);
    check("getppid", errno_of(syscall(SYS_getppid)), -13);
    check("PR_GET_SECCOMP", prctl(PR_GET_SECCOMP), 2);
    check("install ERRNO(0xffff) for getuid", install_for(SYS_getuid, SECCOMP_RET_ERRNO | 0xffff, 0), 0);
    check("getuid capped at 4095", errno_of(syscall(SYS_getuid)), -4095);
    check("install TRACE for getgid", install_for(SYS_getgid, SECCOMP_RET_TRACE | 3, 0), 0);
    check("getgid without a tracer", errno_of(syscall(SYS_getgid)), -ENOSYS);
    check("install LOG for geteuid", install_for(SYS_geteuid, SECCOMP_RET_LOG, SECCOMP_FILTER_FLAG_LOG), 0);
    check("geteuid runs", syscall(SYS_geteuid), geteuid());
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "Seccomp", 7) == 0) printf("     %s", line);
    if (f) fclose(f);
}

static void stacked(void)
{
    /* Equal actions: the newest filter's value; different ones: the most restrictive. */
    check("first ERRNO(5) for getppid", install_for(SYS_getppid, SECCOMP_RET_ERRNO | 5, 0), 0);
    check("then ALLOW-only", install_for(SYS_getppid, SECCOMP_RET_ALLOW, 0), 0);
    check("getppid keeps ERRNO(5)", errno_of(syscall(SYS_getppid)), -5);
    check("then ERRNO(7)", install_for(SYS_getppid, SECCOMP_RET_ERRNO | 7, 0), 0);
    check("getppid gets the newest ERRNO", errno_of(syscall(SYS_getppid)), -7);
    check("then TRACE", install_for(SYS_getppid, SECCOMP_RET_TRACE, 0), 0);
    check("ERRNO beats TRACE", errno_of(syscall(SYS_getppid)), -7);
    check("fork inherits", 0, 0);
    pid_t pid = fork();
    if (pid == 0) {
        long r = errno_of(syscall(SYS_getppid));
        _exit(r == -7 ? 0 : 1);
    }
    int st;
    waitpid(pid, &st, 0);
    check("child's getppid was ERRNO(7)", WEXITSTATUS(st), 0);
}

static volatile int trap_signo, trap_code, trap_errno, trap_syscall, trap_addr_ok;
static volatile unsigned trap_arch;

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
    ucontext_t *u = uc;
    trap_signo = sig;
    trap_code = si->si_code;
    trap_errno = si->si_errno;
    trap_syscall = si->si_syscall;
    trap_arch = si->si_arch;
    trap_addr_ok = (unsigned long)si->si_call_addr == (unsigned long)u->uc_mcontext.gregs[REG_RIP];
    u->uc_mcontext.gregs[REG_RAX] = -ENOTTY; /* the handler chooses the result */
}

static void trap_action(void)
{
    struct sigaction sa = { 0 };
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSYS, &sa, NULL);
    check("install TRAP(42) for getppid", install_for(SYS_getppid, SECCOMP_RET_TRAP | 42, 0), 0);
    check("getppid returns what the handler set", errno_of(syscall(SYS_getppid)), -ENOTTY);
    check("si_signo", trap_signo, SIGSYS);
    check("si_code SYS_SECCOMP", trap_code, 1);
    check("si_errno", trap_errno, 42);
    check("si_syscall", trap_syscall, SYS_getppid);
    check("si_arch", trap_arch == AUDIT_ARCH_X86_64, 1);
    check("si_call_addr is the return address", trap_addr_ok, 1);
    check("install ERRNO for getppid", install_for(SYS_getppid, SECCOMP_RET_ERRNO | 1, 0), 0);
    trap_signo = 0;
    check("TRAP beats ERRNO", errno_of(syscall(SYS_getppid)), -ENOTTY);
    check("signal came", trap_signo, SIGSYS);
}

static void kill_process(void) { install_for(SYS_getppid, SECCOMP_RET_KILL_PROCESS, 0); syscall(SYS_getppid); printf("FAIL survived\n"); }
static void kill_thread(void) { install_for(SYS_getppid, SECCOMP_RET_KILL_THREAD, 0); syscall(SYS_getppid); printf("FAIL survived\n"); }

static void strict(void)
{
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) != 0) { printf("FAIL strict\n"); return; }
    static const char msg[] = "     strict: write allowed\n";
    syscall(SYS_write, 1, msg, sizeof msg - 1);
    syscall(SYS_getpid); /* SIGKILL */
    syscall(SYS_exit, 3);
}

static void strict_exit(void)
{
    if (sc(SECCOMP_SET_MODE_STRICT, 0, NULL) != 0) { printf("FAIL strict\n"); return; }
    syscall(SYS_exit, 4);
}

static void prctl_filter(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
        BPF_STMT(BPF_ST, 3),
        BPF_STMT(BPF_LDX | BPF_MEM, 3),
        BPF_STMT(BPF_MISC | BPF_TXA, 0),
        BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xff),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x77, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_close, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EBADE),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog p = { sizeof f / sizeof f[0], f };
    check("PR_SET_SECCOMP filter", prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &p, 0, 0), 0);
    check("close(0x177) matches arg rule", errno_of(syscall(SYS_close, 0x177)), -EBADE);
    check("close(0x178) runs", errno_of(syscall(SYS_close, 0x178)), -EBADF);
    check("strict over a filter", prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0), -1);
}

/* "seccomp probe": the results of calls a config.json profile decides (no filters of its own). */
static int probe(void)
{
    long r;
    r = syscall(SYS_personality, 0xffffffffUL); printf("personality(query) %s\n", r < 0 ? strerror(errno) : "ok");
    r = syscall(SYS_personality, 0x0400000UL); printf("personality(0x400000) %s\n", r < 0 ? strerror(errno) : "ok");
    syscall(SYS_personality, 0UL);
    r = syscall(SYS_socket, 1, 1, 0); printf("socket(AF_UNIX, SOCK_STREAM) %s\n", r < 0 ? strerror(errno) : "ok");
    r = syscall(SYS_socket, 1, 2 | 0x80000, 0); printf("socket(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC) %s\n", r < 0 ? strerror(errno) : "ok");
    r = syscall(SYS_socket, 40, 1, 0); printf("socket(AF_VSOCK) %s\n", r < 0 ? strerror(errno) : "ok");
    r = syscall(SYS_unshare, 0x10000000UL); printf("unshare(CLONE_NEWUSER) %s\n", r < 0 ? strerror(errno) : "ok");
    r = syscall(SYS_getppid); printf("getppid %s\n", r < 0 ? strerror(errno) : "ok");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) _exit(7);
    int st = 0;
    waitpid(pid, &st, 0);
    printf("fork child exit %d\n", pid < 0 ? -1 : WEXITSTATUS(st));
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "Seccomp", 7) == 0 || strncmp(line, "NoNewPrivs", 10) == 0) printf("%s", line);
    if (f) fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "probe") == 0) return probe();
    int st;
    unsigned a;
    a = SECCOMP_RET_KILL_PROCESS; check("avail KILL_PROCESS", sc(SECCOMP_GET_ACTION_AVAIL, 0, &a), 0);
    a = SECCOMP_RET_TRAP; check("avail TRAP", sc(SECCOMP_GET_ACTION_AVAIL, 0, &a), 0);
    a = SECCOMP_RET_LOG; check("avail LOG", sc(SECCOMP_GET_ACTION_AVAIL, 0, &a), 0);
    a = 0x12340000; check("avail bogus", sc(SECCOMP_GET_ACTION_AVAIL, 0, &a), -EOPNOTSUPP);
    in_child(invalid_programs);
    in_child(no_nnp_as_user);
    in_child(errno_action);
    in_child(stacked);
    in_child(trap_action);
    in_child(prctl_filter);
    st = in_child(kill_process);
    check("KILL_PROCESS: signaled", WIFSIGNALED(st), 1);
    check("KILL_PROCESS: SIGSYS", WTERMSIG(st), SIGSYS);
    st = in_child(kill_thread);
    check("KILL_THREAD: SIGSYS", WIFSIGNALED(st) ? WTERMSIG(st) : -1, SIGSYS);
    st = in_child(strict);
    check("strict: SIGKILL", WIFSIGNALED(st) ? WTERMSIG(st) : -1, SIGKILL);
    st = in_child(strict_exit);
    check("strict: exit allowed", WIFEXITED(st) ? WEXITSTATUS(st) : -1, 4);
    printf("seccomp: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
