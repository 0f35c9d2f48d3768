/* getpid.c [N] — N raw getpid system calls (default 1000000): ns per call. */
#include "bench.h"
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long n = arg_count(argc, argv, 1000000);
    double t0 = now_ns();
    for (long i = 0; i < n; i++) syscall(SYS_getpid);
    result("getpid", (now_ns() - t0) / (double)n, "ns/call");
    return 0;
}
