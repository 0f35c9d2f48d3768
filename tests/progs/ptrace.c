/* ptrace: a guest tracer as strace and gdb use ptrace(2) - TRACEME+exec counting syscalls,
 * syscall-stop registers, SETREGS changing a result, SYSEMU, PEEK/POKE DATA and a breakpoint in
 * text, SINGLESTEP, ATTACH and SEIZE/INTERRUPT/LISTEN of a sleeping child, TRACEFORK following a
 * grandchild, TRACEEXIT, EXITKILL, process_vm_readv/writev; the wait status words exactly.
 * Deterministic output; exit 0 when all checks pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <elf.h>

static int failures;

static void check(const char *what, long got, long want)
{
    if (got == want) {
        printf("ok   %s = %#lx\n", what, got);
    } else {
        printf("FAIL %s = %#lx (want %#lx)\n", what, got, want);
        failures++;
    }
    fflush(stdout);
}

static long res(long r) { return r < 0 ? -errno : r; }

static void msleep(int ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

static int wait_status(pid_t pid)
{
    int st = 0;
    if (waitpid(pid, &st, __WALL) != pid) return -1;
    return st;
}

static int getpid_calls(void)
{
    long a = 0;
    for (int i = 0; i < 5; i++) a += syscall(SYS_getpid) == getppid() ? 0 : 1;
    return (int)a;
}

/* Mode "child": what the exec'd tracee runs. */
static int child_main(void)
{
    long r1 = syscall(SYS_getpid);
    long r2 = syscall(SYS_getpid);
    long r3 = syscall(SYS_getpid);
    long r4 = syscall(SYS_getpid);
    long r5 = syscall(SYS_getpid);
    /* The tracer made the third one answer 4242. */
    return (r1 == r2 && r2 == r4 && r4 == r5 && r3 == 4242) ? 0 : 1;
}

static void test_traceme_exec(const char *self)
{
    pid_t c = fork();
    if (c == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        execl(self, self, "child", (char *)0);
        _exit(99);
    }
    int st = wait_status(c);
    check("traceme+exec: first stop (legacy SIGTRAP)", st, (SIGTRAP << 8) | 0x7f);
    struct stat;
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", c);
    FILE *f = fopen(path, "r");
    long tracer = -1;
    char state = '?';
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "TracerPid:", 10)) tracer = atol(line + 10);
        if (!strncmp(line, "State:", 6)) state = line[7];
    }
    if (f) fclose(f);
    check("traceme: TracerPid is the parent", tracer, getpid());
    check("traceme: state t (tracing stop)", state, 't');
    check("setoptions TRACESYSGOOD|TRACEEXIT", res(ptrace(PTRACE_SETOPTIONS, c, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXIT)), 0);
    int entries = 0, exits = 0, nth = 0, entry_enosys = 1, in_syscall = 0, other = 0;
    for (;;) {
        if (ptrace(PTRACE_SYSCALL, c, 0, 0) < 0) { other = -errno; break; }
        st = wait_status(c);
        if (WIFEXITED(st) || WIFSIGNALED(st)) break;
        if (st == ((PTRACE_EVENT_EXIT << 16) | (SIGTRAP << 8) | 0x7f)) {
            unsigned long msg = 0;
            ptrace(PTRACE_GETEVENTMSG, c, 0, &msg);
            check("exit event: message is the wait status", (long)msg, 0);
            continue;
        }
        if (st != (((SIGTRAP | 0x80) << 8) | 0x7f)) { other++; continue; }
        struct user_regs_struct regs;
        ptrace(PTRACE_GETREGS, c, 0, &regs);
        in_syscall = !in_syscall;
        if (regs.orig_rax != SYS_getpid) continue;
        if (in_syscall) {
            entries++;
            if ((long)regs.rax != -ENOSYS) entry_enosys = 0;
        } else {
            exits++;
            if (++nth == 3) {
                regs.rax = 4242;
                ptrace(PTRACE_SETREGS, c, 0, &regs);
            }
        }
    }
    check("traceme: getpid syscall-enter-stops", entries, 5);
    check("traceme: getpid syscall-exit-stops", exits, 5);
    check("traceme: rax at syscall-enter-stop is -ENOSYS", entry_enosys, 1);
    check("traceme: no other stops", other, 0);
    check("traceme: SETREGS changed the 3rd getpid result (child exit 0)", st, 0);
}

static volatile long marker = 0x1122334455667788L;

__attribute__((noinline)) static int target_fn(int x)
{
    __asm__ volatile("" ::: "memory");
    return x * 3 + 1;
}

static void test_peek_poke_breakpoint(void)
{
    pid_t c = fork();
    if (c == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        int r = target_fn(4);
        _exit(marker == 0x0102030405060708L && r == 13 ? 0 : 1);
    }
    int st = wait_status(c);
    check("raise(SIGSTOP): signal-delivery-stop", st, (SIGSTOP << 8) | 0x7f);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    check("getsiginfo", res(ptrace(PTRACE_GETSIGINFO, c, 0, &si)), 0);
    check("getsiginfo: si_signo", si.si_signo, SIGSTOP);
    check("getsiginfo: si_code SI_TKILL", si.si_code, SI_TKILL);
    errno = 0;
    long w = ptrace(PTRACE_PEEKDATA, c, (void *)&marker, 0);
    check("peekdata marker", w, 0x1122334455667788L);
    check("pokedata marker", res(ptrace(PTRACE_POKEDATA, c, (void *)&marker, (void *)0x0102030405060708L)), 0);
    errno = 0;
    ptrace(PTRACE_PEEKDATA, c, (void *)8, 0);
    check("peekdata of an unmapped address", errno, EIO);
    /* A breakpoint as gdb sets one: int3 over the first byte of target_fn. */
    unsigned long addr = (unsigned long)target_fn;
    long orig = ptrace(PTRACE_PEEKTEXT, c, (void *)addr, 0);
    check("poketext int3 into read-only text", res(ptrace(PTRACE_POKETEXT, c, (void *)addr, (void *)((orig & ~0xffL) | 0xcc))), 0);
    check("cont (SIGSTOP suppressed)", res(ptrace(PTRACE_CONT, c, 0, 0)), 0);
    st = wait_status(c);
    check("breakpoint: SIGTRAP stop", st, (SIGTRAP << 8) | 0x7f);
    struct user_regs_struct regs;
    ptrace(PTRACE_GETREGS, c, 0, &regs);
    check("breakpoint: rip just past the int3", regs.rip - addr, 1);
    memset(&si, 0, sizeof si);
    ptrace(PTRACE_GETSIGINFO, c, 0, &si);
    check("breakpoint: si_code SI_KERNEL", si.si_code, SI_KERNEL);
    ptrace(PTRACE_POKETEXT, c, (void *)addr, (void *)orig);
    regs.rip = addr;
    check("setregs rip back", res(ptrace(PTRACE_SETREGS, c, 0, &regs)), 0);
    long rip = (long)ptrace(PTRACE_PEEKUSER, c, (void *)offsetof(struct user_regs_struct, rip), 0);
    check("peekuser rip", rip - (long)addr, 0);
    check("pokeuser cs invalid", res(ptrace(PTRACE_POKEUSER, c, (void *)offsetof(struct user_regs_struct, cs), (void *)0x10)), -EIO);
    check("peekuser unaligned", res(ptrace(PTRACE_PEEKUSER, c, (void *)3, 0)), -EIO);
    /* Single steps move rip forward and stop with SIGTRAP. */
    int steps_ok = 1;
    unsigned long last = regs.rip;
    for (int i = 0; i < 3; i++) {
        ptrace(PTRACE_SINGLESTEP, c, 0, 0);
        st = wait_status(c);
        if (st != ((SIGTRAP << 8) | 0x7f)) steps_ok = 0;
        ptrace(PTRACE_GETREGS, c, 0, &regs);
        if (regs.rip == last) steps_ok = 0;
        last = regs.rip;
    }
    check("singlestep x3: SIGTRAP stops, rip advances", steps_ok, 1);
    check("singlestep: TF not left set", (long)(regs.eflags & 0x100), 0);
    struct user_fpregs_struct fp;
    check("getfpregs", res(ptrace(PTRACE_GETFPREGS, c, 0, &fp)), 0);
    check("setfpregs", res(ptrace(PTRACE_SETFPREGS, c, 0, &fp)), 0);
    struct iovec iov = { &regs, sizeof regs };
    check("getregset NT_PRSTATUS", res(ptrace(PTRACE_GETREGSET, c, (void *)NT_PRSTATUS, &iov)), 0);
    check("getregset NT_PRSTATUS length", (long)iov.iov_len, sizeof regs);
    iov.iov_base = &fp;
    iov.iov_len = sizeof fp;
    check("getregset NT_FPREGSET", res(ptrace(PTRACE_GETREGSET, c, (void *)NT_FPREGSET, &iov)), 0);
    check("cont to exit", res(ptrace(PTRACE_CONT, c, 0, 0)), 0);
    st = wait_status(c);
    check("peek/poke: child saw the poked marker and target_fn ran (exit 0)", st, 0);
}

static void test_sysemu(void)
{
    pid_t c = fork();
    if (c == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        long r = syscall(SYS_getpid);
        _exit(r == 777 ? 0 : 1);
    }
    wait_status(c);
    ptrace(PTRACE_SYSEMU, c, 0, 0);
    int st = wait_status(c);
    check("sysemu: syscall-enter-stop", st, (SIGTRAP << 8) | 0x7f);
    long nr = ptrace(PTRACE_PEEKUSER, c, (void *)offsetof(struct user_regs_struct, orig_rax), 0);
    check("sysemu: orig_rax getpid", nr, SYS_getpid);
    ptrace(PTRACE_POKEUSER, c, (void *)offsetof(struct user_regs_struct, rax), (void *)777);
    ptrace(PTRACE_CONT, c, 0, 0);
    st = wait_status(c);
    check("sysemu: getpid skipped, result 777 (exit 0)", st, 0);
}

static void test_attach_detach(void)
{
    pid_t c = fork();
    if (c == 0) {
        for (;;) msleep(50);
    }
    msleep(50);
    check("attach", res(ptrace(PTRACE_ATTACH, c, 0, 0)), 0);
    check("attach twice", res(ptrace(PTRACE_ATTACH, c, 0, 0)), -EPERM);
    int st = wait_status(c);
    check("attach: SIGSTOP stop", st, (SIGSTOP << 8) | 0x7f);
    check("peekdata before detach", ptrace(PTRACE_PEEKDATA, c, (void *)&marker, 0), 0x1122334455667788L);
    check("detach", res(ptrace(PTRACE_DETACH, c, 0, 0)), 0);
    check("getregs after detach", res(ptrace(PTRACE_GETREGS, c, 0, 0)), -ESRCH);
    msleep(50);
    kill(c, SIGKILL);
    st = wait_status(c);
    check("detached child killed", st, SIGKILL);
    check("attach self", res(ptrace(PTRACE_ATTACH, getpid(), 0, 0)), -EPERM);
}

static void test_seize_interrupt_listen(void)
{
    pid_t c = fork();
    if (c == 0) {
        for (;;) msleep(50);
    }
    msleep(50);
    check("seize", res(ptrace(PTRACE_SEIZE, c, 0, PTRACE_O_TRACESYSGOOD)), 0);
    check("interrupt", res(ptrace(PTRACE_INTERRUPT, c, 0, 0)), 0);
    int st = wait_status(c);
    check("interrupt: PTRACE_EVENT_STOP with SIGTRAP", st, (PTRACE_EVENT_STOP << 16) | (SIGTRAP << 8) | 0x7f);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    ptrace(PTRACE_GETSIGINFO, c, 0, &si);
    check("interrupt: si_code", si.si_code, (PTRACE_EVENT_STOP << 8) | SIGTRAP);
    ptrace(PTRACE_CONT, c, 0, 0);
    kill(c, SIGSTOP);
    st = wait_status(c);
    check("seized: SIGSTOP signal-delivery-stop", st, (SIGSTOP << 8) | 0x7f);
    ptrace(PTRACE_CONT, c, 0, SIGSTOP);
    st = wait_status(c);
    check("seized: group-stop as PTRACE_EVENT_STOP", st, (PTRACE_EVENT_STOP << 16) | (SIGSTOP << 8) | 0x7f);
    memset(&si, 0, sizeof si);
    check("seized group-stop: getsiginfo", res(ptrace(PTRACE_GETSIGINFO, c, 0, &si)), 0);
    check("seized group-stop: si_signo", si.si_signo, SIGSTOP);
    check("seized group-stop: si_code", si.si_code, (PTRACE_EVENT_STOP << 8) | SIGSTOP);
    check("listen", res(ptrace(PTRACE_LISTEN, c, 0, 0)), 0);
    kill(c, SIGCONT);
    st = wait_status(c);
    check("listen: group-stop end re-traps with SIGTRAP", st, (PTRACE_EVENT_STOP << 16) | (SIGTRAP << 8) | 0x7f);
    kill(c, SIGKILL);
    st = wait_status(c);
    check("seized child killed", WIFSIGNALED(st) ? WTERMSIG(st) : -1, SIGKILL);
}

static void test_tracefork(void)
{
    pid_t c = fork();
    if (c == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        pid_t g = fork();
        if (g == 0) _exit(7);
        int st = 0;
        waitpid(g, &st, 0);
        _exit(WIFEXITED(st) ? WEXITSTATUS(st) + 10 : 1);
    }
    wait_status(c);
    check("setoptions TRACEFORK", res(ptrace(PTRACE_SETOPTIONS, c, 0, PTRACE_O_TRACEFORK)), 0);
    ptrace(PTRACE_CONT, c, 0, 0);
    int st = wait_status(c);
    check("fork event stop", st, (PTRACE_EVENT_FORK << 16) | (SIGTRAP << 8) | 0x7f);
    unsigned long g = 0;
    ptrace(PTRACE_GETEVENTMSG, c, 0, &g);
    st = wait_status((pid_t)g);
    check("grandchild traced: SIGSTOP stop", st, (SIGSTOP << 8) | 0x7f);
    ptrace(PTRACE_CONT, (pid_t)g, 0, 0);
    st = wait_status((pid_t)g);
    check("grandchild exit reported to the tracer", st, 7 << 8);
    ptrace(PTRACE_CONT, c, 0, 0);
    /* The grandchild's SIGCHLD stops the child too (signal-delivery-stop); pass it on. */
    while (WIFSTOPPED(st = wait_status(c))) ptrace(PTRACE_CONT, c, 0, WSTOPSIG(st) == SIGCHLD ? SIGCHLD : 0);
    check("child reaped the grandchild (exit 17)", st, 17 << 8);
}

static void test_exitkill(void)
{
    int p[2];
    pipe(p);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t m = fork();
    if (m == 0) {
        pid_t g = fork();
        if (g == 0) {
            for (;;) msleep(50);
        }
        write(p[1], &g, sizeof g);
        if (ptrace(PTRACE_SEIZE, g, 0, PTRACE_O_EXITKILL) < 0) _exit(2);
        _exit(0);
    }
    pid_t g = 0;
    read(p[0], &g, sizeof g);
    int st = wait_status(m);
    check("exitkill: tracer exited", st, 0);
    st = wait_status(g);
    check("exitkill: tracee killed when its tracer exited", st, SIGKILL);
    prctl(PR_SET_CHILD_SUBREAPER, 0);
    close(p[0]);
    close(p[1]);
}

static void test_process_vm(void)
{
    int p[2], q[2];
    pipe(p);
    pipe(q);
    pid_t c = fork();
    if (c == 0) {
        marker = 42;
        close(q[1]);
        write(p[1], "x", 1);
        for (int i = 0; i < 100 && marker != 43; i++) msleep(10);
        /* Alive until the parent's last call on it (EOF on q), else that call races our exit. */
        char y;
        read(q[0], &y, 1);
        _exit(marker == 43 ? 0 : 1);
    }
    close(q[0]);
    char x;
    read(p[0], &x, 1);
    long v = 0, nv = 43;
    struct iovec local = { &v, sizeof v }, remote = { (void *)&marker, sizeof marker };
    check("process_vm_readv", res(process_vm_readv(c, &local, 1, &remote, 1, 0)), 8);
    check("process_vm_readv value", v, 42);
    local.iov_base = &nv;
    check("process_vm_writev", res(process_vm_writev(c, &local, 1, &remote, 1, 0)), 8);
    check("process_vm flags EINVAL", res(process_vm_readv(c, &local, 1, &remote, 1, 1)), -EINVAL);
    remote.iov_base = (void *)8;
    check("process_vm_readv unmapped EFAULT", res(process_vm_readv(c, &local, 1, &remote, 1, 0)), -EFAULT);
    close(q[1]);
    int st = wait_status(c);
    check("process_vm_writev reached the child (exit 0)", st, 0);
    close(p[0]);
    close(p[1]);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "child")) return child_main();
    (void)getpid_calls;
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_traceme_exec(argv[0][0] == '/' ? argv[0] : "/bin/ptrace");
    test_peek_poke_breakpoint();
    test_sysemu();
    test_attach_detach();
    test_seize_interrupt_listen();
    test_tracefork();
    test_exitkill();
    test_process_vm();
    printf("ptrace: %s (%d failures)\n", failures ? "FAIL" : "ok", failures);
    return failures ? 1 : 0;
}
