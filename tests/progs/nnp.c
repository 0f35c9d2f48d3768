/* nnp: no_new_privs is a per-task flag (PFA_NO_NEW_PRIVS), as Linux has it: set by one thread it
 * is not seen by its siblings (PR_GET_NO_NEW_PRIVS, /proc/self/task/TID/status), it is inherited
 * by threads and processes cloned after it was set, kept across execve, cannot be unset, gates
 * seccomp filters without CAP_SYS_ADMIN per thread, and SECCOMP_FILTER_FLAG_TSYNC carries it to
 * the synced threads. Run with config.json's noNewPrivileges false and no CAP_SYS_ADMIN.
 * "nnp child" (exec'd) exits with its PR_GET_NO_NEW_PRIVS. Deterministic output; exit 0 when all
 * checks pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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

static long res(long r) { return r < 0 ? -errno : r; }
static long nnp(void) { return res(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)); }
static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

/* The NoNewPrivs line of /proc/self/task/TID/status, or -1. */
static long status_nnp(pid_t tid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/status", tid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long v = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "NoNewPrivs: %ld", &v) == 1) break;
    fclose(f);
    return v;
}

static long install_allow_filter(unsigned flags)
{
    struct sock_filter insn = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = { 1, &insn };
    return res(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog));
}

/* Exits with the status of a forked child that reports (exit code) what fn returns. */
static long in_child(long (*fn)(void))
{
    pid_t p = fork();
    if (p == 0) _exit((int)fn());
    int st;
    if (waitpid(p, &st, 0) != p) return -100;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -200;
}

static long exec_child(void)
{
    pid_t p = fork();
    if (p == 0) {
        execl("/proc/self/exe", "nnp", "child", (char *)NULL);
        _exit(99);
    }
    int st;
    if (waitpid(p, &st, 0) != p) return -100;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -200;
}

static pthread_barrier_t set_done, checked, main_done;
static pid_t setter_tid;
static long sibling_saw = -1;

static void *sibling(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&set_done);
    sibling_saw = nnp();
    pthread_barrier_wait(&checked);
    return NULL;
}

static void *grandchild_thread(void *arg)
{
    (void)arg;
    check("thread created by the setter: PR_GET_NO_NEW_PRIVS", nnp(), 1);
    check("thread created by the setter: status NoNewPrivs", status_nnp(gettid_()), 1);
    return NULL;
}

static void *setter(void *arg)
{
    (void)arg;
    setter_tid = gettid_();
    check("setter before: PR_GET_NO_NEW_PRIVS", nnp(), 0);
    check("PR_SET_NO_NEW_PRIVS 0", res(prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0)), -EINVAL);
    check("PR_SET_NO_NEW_PRIVS 1 with arg3", res(prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0)), -EINVAL);
    check("PR_GET_NO_NEW_PRIVS with arg2", res(prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0)), -EINVAL);
    check("setter: PR_SET_NO_NEW_PRIVS 1", res(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)), 0);
    check("setter after: PR_GET_NO_NEW_PRIVS", nnp(), 1);
    check("setter after: status NoNewPrivs", status_nnp(setter_tid), 1);
    pthread_barrier_wait(&set_done);
    pthread_barrier_wait(&checked);
    pthread_barrier_wait(&main_done);
    pthread_t g;
    pthread_create(&g, NULL, grandchild_thread, NULL);
    pthread_join(g, NULL);
    check("fork by the setter: child's PR_GET_NO_NEW_PRIVS", in_child(nnp), 1);
    check("fork+execve by the setter: new program's PR_GET_NO_NEW_PRIVS", exec_child(), 1);
    check("setter: seccomp filter without CAP_SYS_ADMIN", install_allow_filter(0), 0);
    return NULL;
}

static void *tsync_setter(void *arg)
{
    (void)arg;
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    check("thread: TSYNC filter", install_allow_filter(SECCOMP_FILTER_FLAG_TSYNC), 0);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0) return (int)nnp();
    pid_t main_tid = gettid_();
    check("main at start: PR_GET_NO_NEW_PRIVS", nnp(), 0);
    check("main at start: status NoNewPrivs", status_nnp(main_tid), 0);

    pthread_barrier_init(&set_done, NULL, 3);
    pthread_barrier_init(&checked, NULL, 3);
    pthread_barrier_init(&main_done, NULL, 2);
    pthread_t s, b;
    pthread_create(&b, NULL, sibling, NULL);
    pthread_create(&s, NULL, setter, NULL);
    pthread_barrier_wait(&set_done);
    check("main after a sibling set it: PR_GET_NO_NEW_PRIVS", nnp(), 0);
    check("main after a sibling set it: status NoNewPrivs", status_nnp(main_tid), 0);
    check("main reads the setter's status NoNewPrivs", status_nnp(setter_tid), 1);
    pthread_barrier_wait(&checked);
    pthread_join(b, NULL);
    check("sibling started before the set: PR_GET_NO_NEW_PRIVS", sibling_saw, 0);
    pthread_barrier_wait(&main_done);
    pthread_join(s, NULL);

    check("fork by main: child's PR_GET_NO_NEW_PRIVS", in_child(nnp), 0);
    check("fork+execve by main: new program's PR_GET_NO_NEW_PRIVS", exec_child(), 0);
    check("main: seccomp filter without CAP_SYS_ADMIN or no_new_privs", install_allow_filter(0), -EACCES);

    /* A thread with no_new_privs syncs its filter to main: main gains the flag with it. */
    pthread_t t2;
    pthread_create(&t2, NULL, tsync_setter, NULL);
    pthread_join(t2, NULL);
    check("main after a TSYNC filter from a no_new_privs thread: PR_GET_NO_NEW_PRIVS", nnp(), 1);
    printf("nnp: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
