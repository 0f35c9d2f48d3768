/* ipc_fuzz.c: SysV IPC and POSIX message queue calls with random arguments (seeded, so both
 * runtimes make the same calls): bad ids, commands, sizes, pointers and flags must give an errno,
 * never a crash or a hang. Every wait is non-blocking or bounded (IPC_NOWAIT, O_NONBLOCK, past
 * timeouts). Prints how many calls ran and the last one's number, nothing that varies. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

static uint64_t state;

static uint64_t next(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static char *buf;

/* A pointer: NULL, a valid buffer (at a random offset), a wild address or the kernel half. */
static long ptr(void)
{
    switch (next() % 5) {
    case 0: return 0;
    case 1: return (long)(buf + next() % 8192);
    case 2: return (long)buf;
    case 3: return (long)(next() & 0x7fffffffffffUL);
    default: return (long)0xffff800000000000UL;
    }
}

static long num(void)
{
    switch (next() % 6) {
    case 0: return 0;
    case 1: return (long)(next() % 8);
    case 2: return (long)(next() % 70000);
    case 3: return -1;
    case 4: return (long)next();
    default: return (long)(next() % 32) - 16;
    }
}

int main(int argc, char **argv)
{
    state = argc > 1 ? strtoull(argv[1], NULL, 0) : 0x1234567;
    int calls = argc > 2 ? atoi(argv[2]) : 20000;
    buf = mmap(NULL, 256 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    const char *names[] = {"/fq-a", "/fq-b", "fq-c", "/", "/x/y", "/fq-d"};
    int done = 0;
    for (int i = 0; i < calls; i++) {
        struct timespec past = {0, 1};
        memset(buf, (int)(next() & 0xff), 256);
        int which = (int)(next() % 18);
        switch (which) {
        case 0: syscall(SYS_shmget, (int)(next() % 4), num(), (int)(num() & ~0x800) | (int)(next() % 2 ? 01000 : 0) | 0600); break;
        case 1: {
            long r = syscall(SYS_shmat, num(), next() % 3 ? 0 : ptr(), (int)(next() & 0xb000)); /* never SHM_REMAP over our own memory */
            if (r > 0 && r != -1) syscall(SYS_shmdt, r);
            break;
        }
        case 2: syscall(SYS_shmdt, ptr()); break;
        case 3: syscall(SYS_shmctl, num(), num(), ptr()); break;
        case 4: syscall(SYS_semget, (int)(next() % 4), num(), (int)(num() & 0x7ff) | 01000 | 0600); break;
        case 5: {
            unsigned short *sb = (unsigned short *)buf;
            for (int k = 0; k < 12; k++) sb[k * 3 + 2] |= 04000; /* IPC_NOWAIT on every op */
            syscall(SYS_semop, num(), next() % 2 ? (long)buf : (long)0xffff800000000000UL, next() % 4);
            break;
        }
        case 6: syscall(SYS_semtimedop, num(), (long)buf, next() % 4, &past); break;
        case 7: syscall(SYS_semctl, num(), num(), num(), next() % 2 ? ptr() : num()); break;
        case 8: syscall(SYS_msgget, (int)(next() % 4), (int)(num() & 0x7ff) | 01000 | 0600); break;
        case 9: syscall(SYS_msgsnd, num(), ptr(), num(), (int)num() | 04000); break;
        case 10: syscall(SYS_msgrcv, num(), ptr(), num(), num(), (int)num() | 04000); break;
        case 11: syscall(SYS_msgctl, num(), num(), ptr()); break;
        case 12: {
            long r = syscall(SYS_mq_open, names[next() % 6] + (next() % 2), (int)(num() & 03) | 04000 | (next() % 2 ? 0100 : 0),
                0600, next() % 2 ? 0 : ptr());
            if (r >= 0 && next() % 2) close((int)r);
            break;
        }
        case 13: syscall(SYS_mq_unlink, next() % 2 ? (long)(names[next() % 6] + 1) : ptr()); break;
        case 14: syscall(SYS_mq_timedsend, num(), ptr(), num(), num(), next() % 2 ? (long)&past : ptr()); break;
        case 15: syscall(SYS_mq_timedreceive, num(), ptr(), num(), ptr(), next() % 2 ? (long)&past : ptr()); break;
        case 16: syscall(SYS_mq_notify, num(), ptr()); break;
        default: {
            /* A new mq_flags of O_NONBLOCK only: a queue made blocking could hang a later call. */
            long attr[8] = {04000};
            syscall(SYS_mq_getsetattr, num(), next() % 2 ? (long)attr : 0, ptr());
            break;
        }
        }
        done++;
    }
    printf("ipc_fuzz: ok (%d calls)\n", done);
    return 0;
}
