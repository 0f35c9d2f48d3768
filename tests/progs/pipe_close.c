/* A writer blocked in a pipe when the last reader closes (pipe_write): a write that had moved some
 * bytes returns that count and still raises SIGPIPE, the next one fails with EPIPE (and SIGPIPE);
 * a write that had moved nothing fails with EPIPE. Run for pipe(2) and a FIFO. Deterministic output. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile int sigpipes;
static void on_pipe(int sig) { (void)sig; __atomic_add_fetch(&sigpipes, 1, __ATOMIC_SEQ_CST); }

struct job { int wfd; size_t len; ssize_t r1, r2; int e1, e2, pipes1, pipes2; };

static void *writer(void *arg)
{
    struct job *j = arg;
    char *buf = calloc(1, j->len);
    j->r1 = write(j->wfd, buf, j->len);
    j->e1 = j->r1 < 0 ? errno : 0;
    j->pipes1 = sigpipes;
    j->r2 = write(j->wfd, buf, j->len);
    j->e2 = j->r2 < 0 ? errno : 0;
    j->pipes2 = sigpipes;
    free(buf);
    return NULL;
}

static void run(const char *kind, int rfd, int wfd, int fill_first)
{
    int size = fcntl(wfd, F_GETPIPE_SZ);
    sigpipes = 0;
    if (fill_first) {
        /* Exactly full: the next write moves nothing before it blocks. */
        char *buf = calloc(1, size);
        (void)!write(wfd, buf, size);
        free(buf);
    }
    struct job j = { .wfd = wfd, .len = fill_first ? 1 : 2 * (size_t)size };
    pthread_t t;
    pthread_create(&t, NULL, writer, &j);
    usleep(300000);
    close(rfd);
    pthread_join(t, NULL);
    printf("%s %s: first=%s%s sigpipe_after_first=%d second=%s sigpipe_after_second=%d\n", kind,
           fill_first ? "full" : "partial",
           j.r1 == size ? "pipe_size" : j.r1 < 0 ? "-1 " : "other", j.r1 < 0 ? strerror(j.e1) : "",
           j.pipes1, j.r2 < 0 ? strerror(j.e2) : "written", j.pipes2);
    close(wfd);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, on_pipe);
    for (int fill = 0; fill < 2; fill++) {
        int p[2];
        pipe(p);
        run("pipe", p[0], p[1], fill);
        char path[] = "/dev/shm/pipe_close.fifo";
        unlink(path);
        mkfifo(path, 0600);
        int r = open(path, O_RDONLY | O_NONBLOCK);
        int w = open(path, O_WRONLY);
        fcntl(r, F_SETFL, 0);
        run("fifo", r, w, fill);
        unlink(path);
    }
    return 0;
}
