/* fork_threads [N]: fork N times (3000) while four threads of the parent keep running (syscalls, stack
 * writes): fork must never disturb the parent's other threads (a fork unmaps the parent's writable
 * blocks under them; their faults must be served, never turned into SIGSEGV). Then a lock storm:
 * three threads take one mutex (one page, written again and again) while the main thread forks, so
 * the same write races a fork's remap many times over. Prints "fork_threads: ok". */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int pfd[2];

static void *worker(void *arg)
{
    int pid;
    char buf[4096];
    (void)arg;
    while (read(pfd[0], &pid, 4) == 4) {
        for (int i = 0; i < 3; i++) getuid();
        buf[pid % 4096] = 1;
    }
    return buf[0] == 2 ? arg : NULL;
}

static pthread_mutex_t storm_lock = PTHREAD_MUTEX_INITIALIZER;
static long storm_count;

static void *stormer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 50000; i++) {
        pthread_mutex_lock(&storm_lock);
        storm_count++;
        pthread_mutex_unlock(&storm_lock);
    }
    return NULL;
}

static int lock_storm(void)
{
    pthread_t t[3];
    for (int i = 0; i < 3; i++) pthread_create(&t[i], 0, stormer, 0);
    for (int i = 0; i < 200; i++) {
        pid_t c = fork();
        if (c == 0) _exit(0);
        waitpid(c, 0, 0);
    }
    for (int i = 0; i < 3; i++) pthread_join(t[i], 0);
    return storm_count == 150000 ? 0 : 1;
}

int main(int argc, char **argv)
{
    int forks = argc > 1 ? atoi(argv[1]) : 3000;
    pipe(pfd);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], 0, worker, 0);
    for (int i = 0; i < forks; i++) {
        pid_t c = fork();
        if (c == 0) _exit(0);
        int b[4] = { c, c, c, c };
        write(pfd[1], b, 16);
        waitpid(c, 0, 0);
    }
    close(pfd[1]);
    for (int i = 0; i < 4; i++) pthread_join(t[i], 0);
    if (lock_storm() != 0) {
        printf("fork_threads: lock storm lost counts (%ld)\n", storm_count);
        return 1;
    }
    printf("fork_threads: ok\n");
    return 0;
}
