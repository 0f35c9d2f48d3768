/*
 * getpid_loop.c [N] — calls getpid N times (default 1000000) through the raw syscall
 * (glibc does not cache getpid, but the raw call makes that explicit) and prints the mean
 * cost per call in nanoseconds, measured with clock_gettime(CLOCK_MONOTONIC).
 * Built with: gcc -static -O1 -o getpid_loop getpid_loop.c
 * Output: "getpid: N calls, X.Y ns/call"
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    if (n <= 0) {
        fprintf(stderr, "usage: %s [N>0]\n", argv[0]);
        return 2;
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < n; i++) {
        syscall(SYS_getpid);
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double ns = (double)(end.tv_sec - start.tv_sec) * 1e9 + (double)(end.tv_nsec - start.tv_nsec);
    printf("getpid: %ld calls, %.1f ns/call\n", n, ns / (double)n);
    return 0;
}
