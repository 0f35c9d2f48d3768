/* clone3.c: clone3's argument checks (copy_clone_args_from_user, clone3_args_valid),
 * CLONE_CLEAR_SIGHAND in the child, and clone's CLONE_SETTLS with a non-canonical address.
 * Deterministic output; compared with runc. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif

static long clone3_raw(struct clone_args *ca, size_t size)
{
    return syscall(SYS_clone3, ca, size);
}

static void check(const char *what, long r)
{
    if (r == 0) _exit(0); /* a child that should not exist */
    printf("%s: %s\n", what, r < 0 ? strerror(errno) : "child made");
    if (r > 0) waitpid((pid_t)r, NULL, 0);
}

static void on_usr1(int sig)
{
    (void)sig;
}

int main(void)
{
    struct clone_args ca;
    memset(&ca, 0, sizeof ca);
    ca.exit_signal = SIGCHLD;

    check("size 63", clone3_raw(&ca, 63));
    check("size 4097", clone3_raw(&ca, 4097));
    unsigned char big[128];
    memset(big, 0, sizeof big);
    memcpy(big, &ca, sizeof ca);
    big[100] = 1;
    check("unknown nonzero tail", clone3_raw((struct clone_args *)big, sizeof big));

    struct clone_args bad = ca;
    bad.flags = 1ULL << 40;
    check("unknown flag", clone3_raw(&bad, sizeof bad));
    bad = ca;
    bad.flags = SIGCHLD; /* CSIGNAL bits belong in exit_signal */
    check("signal in flags", clone3_raw(&bad, sizeof bad));
    bad = ca;
    bad.exit_signal = 65;
    check("exit_signal 65", clone3_raw(&bad, sizeof bad));
    bad = ca;
    bad.flags = CLONE_SIGHAND | CLONE_VM | CLONE_CLEAR_SIGHAND;
    check("CLEAR_SIGHAND with SIGHAND", clone3_raw(&bad, sizeof bad));
    bad = ca;
    bad.flags = CLONE_PARENT;
    check("PARENT with exit_signal", clone3_raw(&bad, sizeof bad));
    bad = ca;
    bad.stack_size = 4096;
    check("stack_size without stack", clone3_raw(&bad, sizeof bad));
    bad = ca;
    bad.set_tid_size = 1;
    check("set_tid_size without set_tid", clone3_raw(&bad, sizeof bad));

    /* CLONE_CLEAR_SIGHAND: the child sees SIGUSR1's handler reset, SIGUSR2's SIG_IGN kept. */
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, SIG_IGN);
    fflush(stdout);
    struct clone_args clear = ca;
    clear.flags = CLONE_CLEAR_SIGHAND;
    long pid = clone3_raw(&clear, sizeof clear);
    if (pid == 0) {
        struct sigaction a1, a2;
        sigaction(SIGUSR1, NULL, &a1);
        sigaction(SIGUSR2, NULL, &a2);
        printf("child: SIGUSR1 %s, SIGUSR2 %s\n", a1.sa_handler == SIG_DFL ? "default" : "handled",
               a2.sa_handler == SIG_IGN ? "ignored" : "not ignored");
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid((pid_t)pid, &st, 0);
    struct sigaction mine;
    sigaction(SIGUSR1, NULL, &mine);
    printf("parent keeps its handler: %d\n", mine.sa_handler == on_usr1);

    /* clone's TLS must be a user address. */
    check("SETTLS non-canonical", syscall(SYS_clone, CLONE_SETTLS | SIGCHLD, 0, 0, 0, 0x8000000000000000ULL));
    printf("clone3: done\n");
    return 0;
}
