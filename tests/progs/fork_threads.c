/* fork_threads: fork 3000 times while four threads of the parent keep running (syscalls, stack
 * writes): fork must never disturb the parent's other threads (a fork unmaps the parent's writable
 * blocks under them; their faults must be served, never turned into SIGSEGV). Prints "fork_threads: ok". */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
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

int main(void)
{
    pipe(pfd);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], 0, worker, 0);
    for (int i = 0; i < 3000; i++) {
        pid_t c = fork();
        if (c == 0) _exit(0);
        int b[4] = { c, c, c, c };
        write(pfd[1], b, 16);
        waitpid(c, 0, 0);
    }
    close(pfd[1]);
    for (int i = 0; i < 4; i++) pthread_join(t[i], 0);
    printf("fork_threads: ok\n");
    return 0;
}
