/*
 * futex.c [N] — two threads hand a token back and forth N times (default 100000) with raw
 * FUTEX_WAIT/FUTEX_WAKE (private) on one word: ns per round trip (two hand-offs). Built with -pthread.
 */
#include "bench.h"
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

static _Atomic int word; /* 0: main's turn, 1: the other thread's turn */
static long rounds;

static void futex_wait(int expected) { syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0); }
static void futex_wake(void) { syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0); }

static void pass(int mine, int theirs)
{
    while (atomic_load(&word) != mine) futex_wait(theirs);
    atomic_store(&word, theirs);
    futex_wake();
}

static void *partner(void *arg)
{
    for (long i = 0; i < rounds; i++) pass(1, 0);
    return arg;
}

int main(int argc, char **argv)
{
    rounds = arg_count(argc, argv, 100000);
    pthread_t t;
    double t0 = now_ns();
    if ((errno = pthread_create(&t, NULL, partner, NULL)) != 0) DIE("pthread_create");
    for (long i = 0; i < rounds; i++) pass(0, 1);
    pthread_join(t, NULL);
    result("futex", (now_ns() - t0) / (double)rounds, "ns/roundtrip");
    return 0;
}
