/* pdeathsig: PR_SET_PDEATHSIG as Linux has it. The "parent" is the thread that forked the child:
 * the signal fires when that thread exits though its process lives on (the child keeps its
 * getppid), with SI_USER and the parent's pid; a sibling thread's exit does not fire it. It is kept
 * across a plain execve, cleared by an execve whose effective ids differ from the real ones
 * (AT_SECURE 1) and by a change of the effective or fs ids (which also ends dumpability); an
 * unchanged set*id keeps it. Needs CAP_SETUID and CAP_SETGID (run as root with them).
 * "pdeathsig exec" (exec'd) exits with PR_GET_PDEATHSIG * 2 + AT_SECURE.
 * Deterministic output; exit 0 when all checks pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
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

static void msleep(int ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

static int pdeath(void)
{
    int s = -1;
    prctl(PR_GET_PDEATHSIG, &s, 0, 0, 0);
    return s;
}

/* ---- the forking thread's exit */

static int report[2];
static pid_t main_pid;

static void on_usr2(int sig, siginfo_t *si, void *ctx)
{
    (void)sig; (void)ctx;
    int msg[3] = { si->si_code, si->si_pid == main_pid, getppid() == main_pid };
    write(report[1], msg, sizeof msg);
    _exit(7);
}

static pid_t child_killed, child_handled;

static void *forking_thread(void *arg)
{
    (void)arg;
    int ready[2];
    pipe(ready);
    child_killed = fork();
    if (child_killed == 0) {
        prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0);
        write(ready[1], "k", 1);
        for (;;) pause();
    }
    child_handled = fork();
    if (child_handled == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_usr2;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGUSR2, &sa, NULL);
        prctl(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0);
        write(ready[1], "h", 1);
        for (;;) pause();
    }
    char c;
    read(ready[0], &c, 1);
    read(ready[0], &c, 1);
    close(ready[0]);
    close(ready[1]);
    return NULL; /* the thread exits: both children's parent-death signals fire */
}

static void forking_thread_exits(void)
{
    pipe(report);
    pthread_t t;
    pthread_create(&t, NULL, forking_thread, NULL);
    pthread_join(t, NULL);
    int st;
    check("thread-forked child: waitpid", waitpid(child_killed, &st, 0) == child_killed, 1);
    check("thread-forked child: killed by its pdeath SIGUSR1", WIFSIGNALED(st) ? WTERMSIG(st) : -WEXITSTATUS(st), SIGUSR1);
    check("handling child: waitpid", waitpid(child_handled, &st, 0) == child_handled, 1);
    check("handling child: exit status from its handler", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st), 7);
    int msg[3] = { -1, -1, -1 };
    read(report[0], msg, sizeof msg);
    check("pdeath siginfo si_code (SI_USER)", msg[0], SI_USER);
    check("pdeath siginfo si_pid is the parent process", msg[1], 1);
    check("getppid unchanged (a live thread of the parent took over)", msg[2], 1);
    close(report[0]);
    close(report[1]);
}

/* ---- a sibling's exit does not fire it */

static void *idle_thread(void *arg) { (void)arg; return NULL; }

static void sibling_exit_does_not_fire(void)
{
    pid_t c = fork();
    if (c == 0) {
        prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0);
        for (;;) pause();
    }
    pthread_t t;
    pthread_create(&t, NULL, idle_thread, NULL);
    pthread_join(t, NULL);
    msleep(100);
    int st;
    check("main's child after a sibling thread exited: still running", waitpid(c, &st, WNOHANG), 0);
    kill(c, SIGKILL);
    waitpid(c, &st, 0);
    check("main's child: then SIGKILL", WIFSIGNALED(st) ? WTERMSIG(st) : -1, SIGKILL);
}

/* ---- credentials and execve */

/* Runs fn in a child with PR_SET_PDEATHSIG SIGUSR1 and returns its exit status. */
static long in_child(int (*fn)(void))
{
    pid_t p = fork();
    if (p == 0) {
        prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0);
        _exit(fn());
    }
    int st;
    if (waitpid(p, &st, 0) != p) return -100;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
}

static int unchanged_setresuid(void) { setresuid(-1, -1, -1); setresgid(-1, -1, -1); return pdeath(); }
static int setgroups_only(void) { gid_t g[1] = { 0 }; setgroups(1, g); return pdeath(); }
static int dumpable_plain(void) { return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0); }
static int change_egid(void) { if (setresgid(-1, 100, -1) < 0) return 99; return pdeath(); }
static int change_egid_dumpable(void) { if (setresgid(-1, 100, -1) < 0) return 99; return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 1; }
static int change_fsuid(void) { setfsuid(1000); return pdeath(); }
static int change_ruid_only(void) { if (setresuid(1000, -1, -1) < 0) return 99; return pdeath(); }
static int change_euid_and_back(void) { if (seteuid(1000) < 0 || seteuid(0) < 0) return 99; return pdeath(); }

static int exec_self(void)
{
    execl("/proc/self/exe", "pdeathsig", "exec", (char *)NULL);
    return 98;
}

static int exec_with_ruid_not_euid(void)
{
    if (setresuid(1000, 0, 0) < 0) return 99;
    return exec_self();
}

static int exec_after_set_unchanged(void)
{
    if (setresuid(0, 0, 0) < 0) return 99;
    return exec_self();
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "exec") == 0) return pdeath() * 2 + (int)getauxval(AT_SECURE);
    main_pid = getpid();
    forking_thread_exits();
    sibling_exit_does_not_fire();

    check("set*id with nothing changed keeps it", in_child(unchanged_setresuid), SIGUSR1);
    check("setgroups keeps it", in_child(setgroups_only), SIGUSR1);
    check("PR_GET_DUMPABLE at start", in_child(dumpable_plain), 1);
    check("egid change clears it", in_child(change_egid), 0);
    check("egid change: no longer dumpable", in_child(change_egid_dumpable), 1);
    check("fsuid change clears it", in_child(change_fsuid), 0);
    check("real uid change only keeps it", in_child(change_ruid_only), SIGUSR1);
    check("euid there and back clears it", in_child(change_euid_and_back), 0);
    check("plain execve keeps it (pdeath*2 + AT_SECURE)", in_child(exec_self), SIGUSR1 * 2);
    check("execve with euid != ruid clears it, AT_SECURE 1", in_child(exec_with_ruid_not_euid), 1);
    check("setresuid to the same ids then execve", in_child(exec_after_set_unchanged), SIGUSR1 * 2);

    printf("pdeathsig: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
