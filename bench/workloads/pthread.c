/* pthread.c [N] — N × (pthread_create, pthread_join) of a thread that returns at once (default 1000): µs per iteration. Built with -pthread. */
#include "bench.h"
#include <pthread.h>

static void *run(void *arg) { return arg; }

int main(int argc, char **argv)
{
    long n = arg_count(argc, argv, 1000);
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        pthread_t t;
        if ((errno = pthread_create(&t, NULL, run, NULL)) != 0) DIE("pthread_create");
        if ((errno = pthread_join(t, NULL)) != 0) DIE("pthread_join");
    }
    result("pthread", (now_ns() - t0) / (double)n / 1e3, "us/iter");
    return 0;
}
