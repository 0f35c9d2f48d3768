/* mmap_touch.c [MiB] — maps MiB (default 64) of private anonymous memory and writes one byte per 4 KiB page: ns per page (fault). */
#include "bench.h"
#include <sys/mman.h>

int main(int argc, char **argv)
{
    long mib = arg_count(argc, argv, 64);
    size_t len = (size_t)mib << 20;
    long pages = (long)(len / 4096);
    double t0 = now_ns();
    volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) DIE("mmap");
    for (long i = 0; i < pages; i++) p[i * 4096] = 1;
    double ns = now_ns() - t0;
    munmap((void *)p, len);
    result("mmap_touch", ns / (double)pages, "ns/page");
    return 0;
}
