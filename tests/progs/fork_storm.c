/* fork_storm [THREADS] [FORKS]: THREADS threads (16) each fork FORKS times (40) at once. Every
 * thread keeps its own heap buffers with a known pattern and rewrites them between forks; every
 * child checks the pattern of its forking thread's buffer, writes its own over it and checks that
 * again; the parent checks all buffers at the end. Pages are shared copy-on-write by several
 * address spaces at once, each changing the sharing count under its own lock: a lost update there
 * let two processes write one page in place (glibc's malloc then aborted). Prints
 * "fork_storm: ok" or what went wrong. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BUF (48 * 1024)

static int forks = 40;
static volatile int bad;

static void fill(unsigned char *p, unsigned char v)
{
    memset(p, v, BUF);
}

static int check(const unsigned char *p, unsigned char v)
{
    for (int i = 0; i < BUF; i += 512)
        if (p[i] != v) return 1;
    return 0;
}

static void *worker(void *arg)
{
    int id = (int)(long)arg;
    unsigned char *mine = malloc(BUF);
    for (int i = 0; i < forks; i++) {
        unsigned char v = (unsigned char)(id * 7 + i);
        fill(mine, v);
        void *scratch = malloc(1000 + i * 10);
        pid_t pid = fork();
        if (pid == 0) {
            int r = check(mine, v);
            fill(mine, (unsigned char)~v);
            r |= check(mine, (unsigned char)~v) << 1;
            _exit(r);
        }
        int st = 0;
        if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            bad = 1;
            fprintf(stderr, "thread %d fork %d: child status %#x\n", id, i, st);
        }
        if (check(mine, v)) {
            bad = 1;
            fprintf(stderr, "thread %d fork %d: the parent's buffer changed\n", id, i);
        }
        free(scratch);
    }
    free(mine);
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 16;
    if (argc > 2) forks = atoi(argv[2]);
    pthread_t t[256];
    if (threads > 256) threads = 256;
    for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, worker, (void *)(long)i);
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    printf("fork_storm: %s\n", bad ? "FAILED" : "ok");
    return bad;
}
