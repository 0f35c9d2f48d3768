/*
 * bench.h — shared by the workloads in bench/workloads: a monotonic clock, argument parsing
 * and the one output line bench/run.sh parses:  RESULT <name> <value> <unit>
 * Every workload measures inside the container with clock_gettime (vDSO on the host; under a
 * sandbox it may be a syscall, but it is called twice per measurement, never per operation),
 * so container start-up never pollutes the per-operation cost.
 */
#ifndef BENCH_H
#define BENCH_H
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* argv[1] as a positive count, or def. */
static inline long arg_count(int argc, char **argv, long def)
{
    long n = argc > 1 ? atol(argv[1]) : def;
    if (n <= 0) {
        fprintf(stderr, "usage: %s [N>0]\n", argv[0]);
        exit(2);
    }
    return n;
}

static inline void result(const char *name, double value, const char *unit)
{
    printf("RESULT %s %.1f %s\n", name, value, unit);
    fflush(stdout);
}

#define DIE(...)                                           \
    do {                                                   \
        fprintf(stderr, __VA_ARGS__);                      \
        fprintf(stderr, ": %s\n", strerror(errno));        \
        exit(1);                                           \
    } while (0)

#endif
