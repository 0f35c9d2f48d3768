/*
 * sysemu_floor.c [N] — the floor for a ptrace-based sandbox: a minimal C tracer emulating
 * getpid. It forks a child that stops itself, then calls getpid N times (default 200000) and
 * exit_group; the tracer runs it under PTRACE_SYSEMU and, at every syscall stop,
 *   wait4(pid, __WALL) → PTRACE_GETREGS → (orig_rax == getpid: rax = fake pid) → PTRACE_SETREGS → PTRACE_SYSEMU
 * i.e. 4 host syscalls and 2 context switches per emulated call, nothing else. It prints the
 * mean cost of one emulated getpid seen from the tracer, and native getpid for reference:
 *   RESULT floor_getpid <ns> ns/call
 *   RESULT native_getpid <ns> ns/call
 * A second pass replaces GETREGS/SETREGS by PEEKUSER/POKEUSER of rax (what a tracer needs at
 * the least for getpid): RESULT floor_getpid_pokeuser <ns> ns/call. A third pins tracer and
 * child to one CPU (sched_setaffinity) before the fork: RESULT floor_getpid_pinned <ns> ns/call —
 * on a VM, waking a tracee on another CPU (an IPI) can cost several times the rest.
 * Built with: gcc -static -O2 -o sysemu_floor sysemu_floor.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PTRACE_SYSEMU
#define PTRACE_SYSEMU 31
#endif

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "sysemu_floor: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void child(long n)
{
    if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0) _exit(1);
    raise(SIGSTOP);
    for (long i = 0; i < n; i++) syscall(SYS_getpid);
    syscall(SYS_exit_group, 0); /* the tracer's cue to stop: any call but getpid */
    for (;;) {
    }
}

/* Runs one traced child and returns ns per emulated getpid. */
static double trace(long n, int pokeuser)
{
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) child(n);
    int status;
    if (waitpid(pid, &status, __WALL) != pid || !WIFSTOPPED(status)) die("initial stop");
    if (ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)(long)(PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD)) != 0) die("PTRACE_SETOPTIONS");
    long calls = 0;
    double t0 = now_ns();
    for (;;) {
        if (ptrace(PTRACE_SYSEMU, pid, 0, 0) != 0) die("PTRACE_SYSEMU");
        if (wait4(pid, &status, __WALL, NULL) != pid) die("wait4");
        if (!WIFSTOPPED(status)) die("child did not stop");
        long nr;
        if (pokeuser) {
            errno = 0;
            nr = ptrace(PTRACE_PEEKUSER, pid, (void *)offsetof(struct user_regs_struct, orig_rax), 0);
            if (errno != 0) die("PTRACE_PEEKUSER");
            if (nr != SYS_getpid) break;
            if (ptrace(PTRACE_POKEUSER, pid, (void *)offsetof(struct user_regs_struct, rax), (void *)1L) != 0) die("PTRACE_POKEUSER");
        } else {
            struct user_regs_struct regs;
            if (ptrace(PTRACE_GETREGS, pid, 0, &regs) != 0) die("PTRACE_GETREGS");
            nr = (long)regs.orig_rax;
            if (nr != SYS_getpid) break;
            regs.rax = 1; /* the guest's pid */
            if (ptrace(PTRACE_SETREGS, pid, 0, &regs) != 0) die("PTRACE_SETREGS");
        }
        calls++;
    }
    double ns = now_ns() - t0;
    kill(pid, SIGKILL);
    waitpid(pid, &status, __WALL);
    if (calls != n) {
        fprintf(stderr, "sysemu_floor: emulated %ld calls, expected %ld\n", calls, n);
        exit(1);
    }
    return ns / (double)calls;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    if (n <= 0) {
        fprintf(stderr, "usage: %s [N>0]\n", argv[0]);
        return 2;
    }
    double t0 = now_ns();
    for (long i = 0; i < n; i++) syscall(SYS_getpid);
    double native = (now_ns() - t0) / (double)n;
    printf("RESULT floor_getpid %.1f ns/call\n", trace(n, 0));
    printf("RESULT floor_getpid_pokeuser %.1f ns/call\n", trace(n, 1));
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(sched_getcpu(), &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity");
    printf("RESULT floor_getpid_pinned %.1f ns/call\n", trace(n, 0));
    printf("RESULT native_getpid %.1f ns/call\n", native);
    return 0;
}
