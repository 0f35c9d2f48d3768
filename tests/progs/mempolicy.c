/* mempolicy: set_mempolicy, get_mempolicy and mbind on a one-node machine, as the kernel checks
 * and reports them: each mode with and without nodes and mode flags, nodemask sizes (maxnode 0, 1,
 * 65, past a page, bits past MAX_NUMNODES), MPOL_F_MEMS_ALLOWED / MPOL_F_NODE / MPOL_F_ADDR, VMA
 * policies split by mbind and kept by fork, unmapped ranges, inheritance by a thread. Prints one line
 * per call (result, mode, first nodemask word); deterministic; exit 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MPOL_DEFAULT 0
#define MPOL_PREFERRED 1
#define MPOL_BIND 2
#define MPOL_INTERLEAVE 3
#define MPOL_LOCAL 4
#define MPOL_PREFERRED_MANY 5
#define MPOL_F_STATIC_NODES (1 << 15)
#define MPOL_F_RELATIVE_NODES (1 << 14)
#define MPOL_F_NUMA_BALANCING (1 << 13)
#define MPOL_F_NODE 1
#define MPOL_F_ADDR 2
#define MPOL_F_MEMS_ALLOWED 4
#define MPOL_MF_STRICT 1
#define MPOL_MF_MOVE 2

static long set_pol(int mode, unsigned long *mask, unsigned long maxnode) { return syscall(SYS_set_mempolicy, mode, mask, maxnode); }
static long get_pol(int *mode, unsigned long *mask, unsigned long maxnode, void *addr, unsigned long flags)
{
    return syscall(SYS_get_mempolicy, mode, mask, maxnode, addr, flags);
}
static long mbind_(void *addr, unsigned long len, int mode, unsigned long *mask, unsigned long maxnode, unsigned flags)
{
    return syscall(SYS_mbind, addr, len, mode, mask, maxnode, flags);
}
static const char *res(long r) { return r >= 0 ? "ok" : strerrorname_np(errno); }

static void show(const char *what, void *addr, unsigned long flags)
{
    int mode = -1;
    unsigned long mask[3] = { 0xdead, 0xbeef, 0xcafe };
    long r = get_pol(&mode, mask, 129, addr, flags);
    printf("%-40s get %s mode %d mask %lx %lx %lx\n", what, res(r), mode, mask[0], mask[1], mask[2]);
}

static void set_case(const char *what, int mode, unsigned long m0, unsigned long maxnode)
{
    unsigned long mask[1] = { m0 };
    long r = set_pol(mode, maxnode == (unsigned long)-2 ? NULL : mask, maxnode == (unsigned long)-2 ? 64 : maxnode);
    printf("%-40s set %s\n", what, res(r));
    show(what, NULL, 0);
    set_pol(MPOL_DEFAULT, NULL, 0);
}

static void *thread_main(void *arg)
{
    (void)arg;
    show("thread inherits", NULL, 0);
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    show("initial", NULL, 0);
    set_case("default, no mask", MPOL_DEFAULT, 0, (unsigned long)-2);
    set_case("default, node 0", MPOL_DEFAULT, 1, 64);
    set_case("default, empty mask", MPOL_DEFAULT, 0, 64);
    set_case("bind node 0", MPOL_BIND, 1, 64);
    set_case("bind nodes 0-1", MPOL_BIND, 3, 64);
    set_case("bind node 1 only", MPOL_BIND, 2, 64);
    set_case("bind empty", MPOL_BIND, 0, 64);
    set_case("bind node 0, maxnode 1 (no bits)", MPOL_BIND, 1, 1);
    set_case("bind node 0, maxnode 2", MPOL_BIND, 1, 2);
    set_case("bind node 0, maxnode 0", MPOL_BIND, 1, 0);
    set_case("interleave nodes 0-3", MPOL_INTERLEAVE, 15, 64);
    set_case("preferred node 0", MPOL_PREFERRED, 1, 64);
    set_case("preferred empty (local)", MPOL_PREFERRED, 0, 64);
    set_case("preferred empty static", MPOL_PREFERRED | MPOL_F_STATIC_NODES, 0, 64);
    set_case("preferred_many node 0", MPOL_PREFERRED_MANY, 1, 64);
    set_case("local", MPOL_LOCAL, 0, 64);
    set_case("local node 0", MPOL_LOCAL, 1, 64);
    set_case("bind static 0-1", MPOL_BIND | MPOL_F_STATIC_NODES, 3, 64);
    set_case("bind relative node 5", MPOL_BIND | MPOL_F_RELATIVE_NODES, 32, 64);
    set_case("bind static+relative", MPOL_BIND | MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES, 1, 64);
    set_case("bind numa balancing", MPOL_BIND | MPOL_F_NUMA_BALANCING, 1, 64);
    set_case("interleave numa balancing", MPOL_INTERLEAVE | MPOL_F_NUMA_BALANCING, 1, 64);
    set_case("mode 7", 7, 1, 64);
    set_case("mode -1", -1, 1, 64);
    printf("%-40s set %s\n", "bad mask pointer", res(set_pol(MPOL_BIND, (unsigned long *)8, 64)));

    /* Large masks: bits past MAX_NUMNODES (1024) must be zero; more than a page of bits is EINVAL. */
    static unsigned long big[80];
    big[0] = 1;
    printf("%-40s set %s\n", "mask of 2048 bits", res(set_pol(MPOL_BIND, big, 2049)));
    big[20] = 1;
    printf("%-40s set %s\n", "bit 1280 set", res(set_pol(MPOL_BIND, big, 2049)));
    printf("%-40s set %s\n", "more than a page of bits", res(set_pol(MPOL_BIND, big, 4096 * 8 + 2)));
    big[20] = 0;
    set_pol(MPOL_DEFAULT, NULL, 0);

    /* get_mempolicy's own cases. */
    unsigned long m[2];
    int mode;
    printf("%-40s get %s\n", "unknown flag", res(get_pol(&mode, m, 64, NULL, 8)));
    printf("%-40s get %s\n", "maxnode 0 with a mask", res(get_pol(&mode, m, 0, NULL, 0)));
    printf("%-40s get %s\n", "addr without MPOL_F_ADDR", res(get_pol(&mode, m, 64, &mode, 0)));
    printf("%-40s get %s\n", "MEMS_ALLOWED|NODE", res(get_pol(&mode, m, 64, NULL, MPOL_F_MEMS_ALLOWED | MPOL_F_NODE)));
    show("MEMS_ALLOWED", NULL, MPOL_F_MEMS_ALLOWED);
    show("NODE without interleave", NULL, MPOL_F_NODE);
    unsigned long one = 1;
    set_pol(MPOL_INTERLEAVE, &one, 64);
    show("NODE with interleave", NULL, MPOL_F_NODE);
    set_pol(MPOL_DEFAULT, NULL, 0);
    printf("%-40s get %s\n", "mask too big to copy out", res(get_pol(&mode, big, 4096 * 8 + 2, NULL, 0)));
    printf("%-40s get %s\n", "bad mode pointer", res(get_pol((int *)8, NULL, 0, NULL, 0)));

    /* mbind: VMA policies. */
    char *p = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(p + 6 * 4096, 4096);
    set_pol(MPOL_PREFERRED, &one, 64);
    show("ADDR without a VMA policy", p, MPOL_F_ADDR);
    set_pol(MPOL_DEFAULT, NULL, 0);
    printf("%-40s mbind %s\n", "bind pages 2-3", res(mbind_(p + 2 * 4096, 2 * 4096, MPOL_BIND, &one, 64, MPOL_MF_STRICT | MPOL_MF_MOVE)));
    show("ADDR page 1", p + 4096, MPOL_F_ADDR);
    show("ADDR page 2", p + 2 * 4096, MPOL_F_ADDR);
    show("ADDR page 3 (+100)", p + 3 * 4096 + 100, MPOL_F_ADDR);
    show("ADDR page 4", p + 4 * 4096, MPOL_F_ADDR);
    show("ADDR|NODE page 2", p + 2 * 4096, MPOL_F_ADDR | MPOL_F_NODE);
    show("ADDR unmapped page 6", p + 6 * 4096, MPOL_F_ADDR);
    printf("%-40s mbind %s\n", "interleave page 3 static", res(mbind_(p + 3 * 4096, 1, MPOL_INTERLEAVE | MPOL_F_STATIC_NODES, &one, 64, 0)));
    show("ADDR page 3 after", p + 3 * 4096, MPOL_F_ADDR);
    printf("%-40s mbind %s\n", "over the hole", res(mbind_(p + 5 * 4096, 2 * 4096, MPOL_BIND, &one, 64, 0)));
    printf("%-40s mbind %s\n", "unaligned", res(mbind_(p + 1, 4096, MPOL_BIND, &one, 64, 0)));
    printf("%-40s mbind %s\n", "length 0", res(mbind_(p, 0, MPOL_BIND, NULL, 0, 0)));
    printf("%-40s mbind %s\n", "length 0, bad mode", res(mbind_(p, 0, 9, NULL, 0, 0)));
    printf("%-40s mbind %s\n", "huge length (wraps to 0)", res(mbind_(p, (unsigned long)-1, MPOL_BIND, &one, 64, 0)));
    printf("%-40s mbind %s\n", "length past the top", res(mbind_(p, (unsigned long)-1 - 8192, MPOL_BIND, &one, 64, 0)));
    printf("%-40s mbind %s\n", "bad flags", res(mbind_(p, 4096, MPOL_BIND, &one, 64, 64)));
    printf("%-40s mbind %s\n", "bind empty", res(mbind_(p, 4096, MPOL_BIND, NULL, 0, 0)));
    printf("%-40s mbind %s\n", "default on page 2", res(mbind_(p + 2 * 4096, 4096, MPOL_DEFAULT, NULL, 0, 0)));
    show("ADDR page 2 after default", p + 2 * 4096, MPOL_F_ADDR);

    /* fork keeps VMA and task policies; a thread inherits the task's. */
    set_pol(MPOL_BIND | MPOL_F_STATIC_NODES, &one, 64);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        show("child: task", NULL, 0);
        show("child: ADDR page 3", p + 3 * 4096, MPOL_F_ADDR);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    pthread_t th;
    pthread_create(&th, NULL, thread_main, NULL);
    pthread_join(th, NULL);
    return 0;
}
