/* syscall_fuzz [SEED] [CALLS] [PER_CHILD]: a seeded random pass over the whole syscall table -
 * random numbers with edge-value arguments (0, -1, INT_MIN/MAX, 2^32, 2^63, page-sized lengths),
 * fds of several kinds, and pointers that are NULL, garbage, in the kernel half, or run into an
 * unmapped page. Calls run in forked children, PER_CHILD at a time (stdout/stderr on /dev/null);
 * a child that blocks is killed after a short while and one that kills itself just ends its
 * batch. Calls that would only end or stall the run (exit, pause, sleeps, fork/vfork/clone,
 * execve, rt_sigreturn), that reach other processes (kill, ptrace, process_vm_*, prlimit64,
 * pidfd_send_signal, sigqueue), or that could fill the host's disk or memory (fallocate,
 * sendfile/splice/copy_file_range, mlock*, MAP_POPULATE, sync, io_uring) are skipped. The kernel
 * (or the Sentry) must answer every call; the parent prints one line and exits 0 at the end. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t state;

static uint64_t next(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

#define MAXNR 460

static int skipped(long nr)
{
    switch (nr) {
    case SYS_rt_sigreturn: case SYS_pause: case SYS_nanosleep: case SYS_clone: case SYS_fork: case SYS_vfork:
    case SYS_execve: case SYS_exit: case SYS_kill: case SYS_ptrace: case SYS_rt_sigsuspend: case SYS_rt_sigtimedwait:
    case SYS_rt_sigqueueinfo: case SYS_sync: case SYS_reboot: case SYS_swapon: case SYS_swapoff: case SYS_acct:
    case SYS_init_module: case SYS_delete_module: case SYS_tkill: case SYS_clock_nanosleep: case SYS_exit_group:
    case SYS_tgkill: case SYS_kexec_load: case SYS_migrate_pages: case SYS_move_pages: case SYS_splice: case SYS_tee:
    case SYS_vmsplice: case SYS_fallocate: case SYS_rt_tgsigqueueinfo: case SYS_perf_event_open:
    case SYS_prlimit64: case SYS_syncfs: case SYS_process_vm_readv: case SYS_process_vm_writev:
    case SYS_finit_module: case SYS_sched_setattr: case SYS_execveat: case SYS_userfaultfd: case SYS_mlock2:
    case SYS_copy_file_range: case SYS_kexec_file_load: case SYS_bpf: case SYS_sendfile: case SYS_mlock:
    case SYS_mlockall: case SYS_sched_setscheduler: case SYS_pidfd_send_signal: case SYS_io_uring_setup:
    case SYS_io_uring_enter: case SYS_io_uring_register: case SYS_clone3: case SYS_pidfd_getfd:
    case SYS_set_mempolicy: case SYS_mbind:
        return 1;
    }
    return nr >= 335 && nr < 424; /* unassigned on x86-64 */
}

static char *buf;      /* 64 KiB of scratch, followed by an unmapped page */
static int fds[12];
static int nfds;

static uint64_t pointer(void)
{
    switch (next() % 10) {
    case 0: return 0;
    case 1: return next() | 0x1000;                             /* garbage */
    case 2: return (uint64_t)(uintptr_t)(buf + 65536 - (next() % 64)); /* runs into the unmapped page */
    case 3: return 0xffffffffff600000ull;                       /* vsyscall page */
    case 4: return 0xffff800000000000ull + (next() % 4096);     /* kernel half */
    case 5: return (uint64_t)(uintptr_t)(buf + 4096 - (next() % 16)); /* a page boundary inside buf */
    default: return (uint64_t)(uintptr_t)(buf + (next() % 4096));
    }
}

static uint64_t edge(void)
{
    static const uint64_t v[] = { 0, 1, 2, 3, 4, 7, 8, 16, 64, 255, 256, 4095, 4096, 4097, 65536, 1 << 20,
        0x7fffffff, 0x80000000u, 0xffffffffu, 0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
        (uint64_t)-1, (uint64_t)-2, (uint64_t)-4096, 0x7ffffffff000ull, 0x800000000000ull, 1ull << 46, 1ull << 47 };
    return v[next() % (sizeof v / sizeof v[0])];
}

static uint64_t fd_arg(void)
{
    switch (next() % 8) {
    case 0: return (uint64_t)-1;
    case 1: return next() % 8;
    case 2: return 1000 + next() % 100;
    case 3: return (uint64_t)(int)-100; /* AT_FDCWD */
    default: return nfds ? (uint64_t)fds[next() % nfds] : 0;
    }
}

static uint64_t path_arg(void)
{
    static const char *paths[] = { "/tmp/fz", "/tmp/fz/f", "/tmp/fz/d", "/tmp/fz/g", "/tmp/fz/../fz/f", "/tmp/fz/nope/x",
        "", "/tmp/fz/f/", "/proc/self/status", "/proc/self/fd/3", "/tmp/fz/l" };
    if (next() % 4 == 0) return pointer();
    const char *p = paths[next() % (sizeof paths / sizeof paths[0])];
    char *dst = buf + 8192 + (next() % 8) * 256;
    strcpy(dst, p);
    return (uint64_t)(uintptr_t)dst;
}

static uint64_t arg(void)
{
    switch (next() % 6) {
    case 0: return pointer();
    case 1: return fd_arg();
    case 2: return path_arg();
    case 3: return next();
    default: return edge();
    }
}

static void setup_child(void)
{
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    close(null);
    buf = mmap(NULL, 65536 + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(buf + 65536, 4096);
    for (int i = 0; i < 65536; i++) buf[i] = (char)next();
    nfds = 0;
    fds[nfds++] = open("/tmp/fz/f", O_RDWR | O_CREAT, 0644);
    fds[nfds++] = open("/tmp/fz", O_RDONLY | O_DIRECTORY);
    fds[nfds++] = open("/dev/zero", O_RDONLY);
    fds[nfds++] = open("/proc/self/maps", O_RDONLY);
    fds[nfds++] = eventfd(0, EFD_NONBLOCK);
    fds[nfds++] = epoll_create1(0);
    int p[2];
    if (pipe2(p, O_NONBLOCK) == 0) { fds[nfds++] = p[0]; fds[nfds++] = p[1]; }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0) { fds[nfds++] = sv[0]; fds[nfds++] = sv[1]; }
    fds[nfds++] = open("/tmp/fz/d", O_PATH);
}

int main(int argc, char **argv)
{
    unsigned long seed = argc > 1 ? strtoul(argv[1], NULL, 0) : 1;
    long calls = argc > 2 ? strtol(argv[2], NULL, 0) : 20000;
    long per_child = argc > 3 ? strtol(argv[3], NULL, 0) : 200;
    mkdir("/tmp/fz", 0777);
    mkdir("/tmp/fz/d", 0777);
    close(open("/tmp/fz/f", O_RDWR | O_CREAT, 0644));
    symlink("f", "/tmp/fz/l");
    volatile long *progress = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    long batches = (calls + per_child - 1) / per_child, made = 0, killed = 0, died = 0;
    for (long b = 0; b < batches; b++) {
        *progress = 0;
        pid_t kid = fork();
        if (kid < 0) { printf("syscall_fuzz: fork failed: %s\n", strerror(errno)); return 1; }
        if (kid == 0) {
            state = (seed * 2654435761u + 1) ^ ((uint64_t)(b + 1) * 0x9e3779b97f4a7c15ull);
            if (state == 0) state = 1;
            setup_child();
            for (long i = 0; i < per_child; i++) {
                long nr;
                do nr = (long)(next() % MAXNR); while (skipped(nr));
                uint64_t a[6];
                for (int k = 0; k < 6; k++) a[k] = arg();
                if (nr == SYS_mmap) a[3] &= ~(uint64_t)(MAP_POPULATE | MAP_LOCKED);
                if (nr == SYS_mremap) a[2] &= 0xffffffffull; /* no 2^63-byte growth */
                *progress = i + 1;
                syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
            }
            _exit(0);
        }
        /* A child blocked in a call (or stopped) is killed after half a second of no progress. */
        long last = -1;
        int idle = 0, st = 0;
        while (waitpid(kid, &st, WNOHANG) == 0) {
            struct timespec ts = { 0, 20 * 1000 * 1000 };
            nanosleep(&ts, NULL);
            long now = *progress;
            idle = now == last ? idle + 1 : 0;
            last = now;
            if (idle >= 25) {
                kill(kid, SIGKILL);
                waitpid(kid, &st, 0);
                killed++;
                break;
            }
        }
        if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0) && !(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)) died++;
        made += *progress;
    }
    fprintf(stderr, "syscall_fuzz: seed %lu: %ld calls in %ld children (%ld killed while blocked, %ld ended early)\n",
            seed, made, batches, killed, died);
    printf("syscall_fuzz: seed %lu: ok\n", seed);
    return 0;
}
