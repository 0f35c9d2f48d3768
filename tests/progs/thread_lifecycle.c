/* thread_lifecycle CASE: thread-group corner cases the ptrace stubs must survive.
 *   exec-thread  - execve from a non-leader thread: the new image runs with the old pid
 *   leader-exit  - the leader pthread_exit()s first; its threads finish the work and exit 0
 *   wedge MARKER - many threads (spinning, blocked in futex and read, sleeping), a forked child
 *                  with threads and one whose leader has exited; then writes MARKER and waits
 *                  forever (the test kills or force-deletes the container and checks that no
 *                  host process of it remains) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char self[64];
static pid_t leader_pid;

static void *exec_from_thread(void *arg)
{
    (void)arg;
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)leader_pid);
    char *argv[] = { self, "after-exec", pid, NULL };
    execv("/proc/self/exe", argv);
    printf("exec from a thread: execv failed: %s\n", strerror(errno));
    exit(1);
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int finished;

static void *worker(void *arg)
{
    long id = (long)arg;
    struct timespec ts = { 0, 50 * 1000 * 1000 * (id + 1) };
    nanosleep(&ts, NULL);
    /* The leader is gone (a zombie until we all exit); the group still answers getpid. */
    int ok = getpid() == leader_pid;
    pthread_mutex_lock(&lock);
    finished += ok;
    int all = finished == 4;
    pthread_mutex_unlock(&lock);
    if (all) {
        printf("leader exited before its threads: ok\n");
        fflush(stdout);
    }
    return NULL;
}

static void *spin(void *arg) { (void)arg; for (;;) __asm__ volatile("" ::: "memory"); return NULL; }

static void *block_futex(void *arg)
{
    (void)arg;
    int word = 0;
    for (;;) syscall(SYS_futex, &word, 0 /* FUTEX_WAIT */, 0, NULL, NULL, 0);
    return NULL;
}

static int pipe_fds[2];

static void *block_read(void *arg)
{
    (void)arg;
    char c;
    for (;;) read(pipe_fds[0], &c, 1);
    return NULL;
}

static void *sleeper(void *arg) { (void)arg; for (;;) sleep(100); return NULL; }

static void start_threads(void)
{
    pthread_t t;
    for (int i = 0; i < 2; i++) pthread_create(&t, NULL, spin, NULL);
    for (int i = 0; i < 3; i++) pthread_create(&t, NULL, block_futex, NULL);
    pthread_create(&t, NULL, block_read, NULL);
    pthread_create(&t, NULL, sleeper, NULL);
}

int main(int argc, char **argv)
{
    const char *c = argc > 1 ? argv[1] : "";
    snprintf(self, sizeof self, "%s", argv[0]);
    leader_pid = getpid();
    if (!strcmp(c, "after-exec")) {
        int ok = argc > 2 && atoi(argv[2]) == getpid() && syscall(SYS_gettid) == getpid();
        if (!ok) printf("exec from a non-leader thread: pid %d tid %ld, before %s\n", (int)getpid(), (long)syscall(SYS_gettid), argc > 2 ? argv[2] : "?");
        printf("exec from a non-leader thread: %s\n", ok ? "ok" : "FAIL");
        return ok ? 0 : 1;
    }
    if (!strcmp(c, "exec-thread")) {
        pthread_t t;
        for (int i = 0; i < 3; i++) pthread_create(&t, NULL, sleeper, NULL);
        pthread_create(&t, NULL, exec_from_thread, NULL);
        for (;;) pause();
    }
    if (!strcmp(c, "leader-exit")) {
        setvbuf(stdout, NULL, _IONBF, 0);
        pthread_t t;
        for (long i = 0; i < 4; i++) pthread_create(&t, NULL, worker, (void *)i);
        pthread_exit(NULL);
    }
    if (!strcmp(c, "wedge") && argc > 2) {
        pipe(pipe_fds);
        start_threads();
        /* A child with threads of its own. */
        if (fork() == 0) {
            start_threads();
            for (;;) pause();
        }
        /* A child whose leader exits first (its stub's leader is parked). */
        if (fork() == 0) {
            start_threads();
            pthread_exit(NULL);
        }
        struct timespec ts = { 0, 300 * 1000 * 1000 };
        nanosleep(&ts, NULL);
        int fd = open(argv[2], O_WRONLY | O_CREAT, 0644);
        close(fd);
        for (;;) pause();
    }
    printf("thread_lifecycle: unknown case '%s'\n", c);
    return 2;
}
