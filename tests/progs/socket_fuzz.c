/* socket_fuzz [SEED] [CALLS]: a seeded random pass over the socket calls - random families,
 * types, protocols, options, addresses, lengths, flags and pointers (NULL, unmapped, a page
 * boundary, garbage) - on non-blocking sockets only, so nothing waits. Run it in a network
 * namespace with only loopback. The kernel (or the Sentry) must answer every call with a result
 * or an errno; the program prints a summary and exits 0 if it got to the end. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static uint64_t state;

static uint64_t next(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static long pick(const long *v, int n) { return v[next() % n]; }

static char *page_end; /* the last bytes before an unmapped page */

static void *pointer(char *buf, size_t size)
{
    switch (next() % 8) {
    case 0: return NULL;
    case 1: return (void *)(uintptr_t)(next() | 0x1000);       /* garbage */
    case 2: return page_end - (next() % 16);                    /* runs into an unmapped page */
    case 3: return (void *)(uintptr_t)0xffffffffffff0000ull;    /* kernel half */
    default: return buf;
    }
}

static long length(void)
{
    static const long v[] = { 0, 1, 2, 3, 4, 8, 16, 28, 110, 128, 129, 4096, 65536, 1 << 20, -1, 0x7fffffff, (long)0x80000000u };
    return pick(v, sizeof v / sizeof v[0]);
}

static void fill(char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) buf[i] = (char)next();
    /* Sometimes a plausible address: a family and a loopback port. */
    if (next() % 2) {
        static const short fam[] = { AF_INET, AF_INET6, AF_UNIX, AF_NETLINK, AF_UNSPEC, 12345 };
        *(short *)buf = fam[next() % 6];
        if (*(short *)buf == AF_INET) { buf[4] = 127; buf[5] = 0; buf[6] = 0; buf[7] = 1; }
        if (*(short *)buf == AF_UNIX && next() % 2) buf[2] = 0; /* abstract name */
    }
}

int main(int argc, char **argv)
{
    unsigned long seed = argc > 1 ? strtoul(argv[1], NULL, 0) : 1;
    long calls = argc > 2 ? strtol(argv[2], NULL, 0) : 20000;
    state = seed * 2654435761u + 1;
    signal(SIGPIPE, SIG_IGN);
    char *map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(map + 4096, 4096);
    page_end = map + 4096;

    static const long families[] = { AF_INET, AF_INET6, AF_UNIX, AF_NETLINK, AF_PACKET, AF_UNSPEC, 99, -1 };
    static const long types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW, 0, 7, 99 };
    static const long protos[] = { 0, 1, 6, 17, 58, 136, 255, 1000, -1 };
    static const long levels[] = { SOL_SOCKET, 0, 6, 17, 41, 58, 255, 270, 1, 99999, -1 };
    static const long ioctls[] = { 0x541B, 0x5411, 0x8905, 0x8906, 0x8912, 0x8913, 0x8915, 0x8921, 0x8927, 0x8933,
                                   0x8914, 0x8916, 0x5421, 0x5451, 0x894B, 0x8946, 0xdeadbeef };
    int fds[16];
    int nfds = 0;
    long done = 0, errors = 0;
    char buf[8192];

    pid_t kid = fork();
    if (kid == 0) {
        for (long i = 0; i < calls; i++) {
            long r = -1;
            int fd = nfds ? fds[next() % nfds] : -1;
            int op = next() % 16;
            fill(buf, sizeof buf);
            switch (op) {
            case 0: case 1:
                r = socket(pick(families, 8), pick(types, 7) | SOCK_NONBLOCK | SOCK_CLOEXEC, pick(protos, 9));
                if (r >= 0) {
                    if (nfds < 16) fds[nfds++] = r;
                    else { close(fds[0]); fds[0] = r; }
                }
                break;
            case 2: r = bind(fd, pointer(buf, sizeof buf), length()); break;
            case 3: r = connect(fd, pointer(buf, sizeof buf), length()); break;
            case 4: r = listen(fd, (int)length()); break;
            case 5: {
                socklen_t l = (socklen_t)length();
                r = accept4(fd, pointer(buf, sizeof buf), next() % 2 ? &l : pointer(buf, sizeof buf), SOCK_NONBLOCK | (int)(next() % 4 == 0 ? next() : 0));
                if (r >= 0) close(r);
                break;
            }
            case 6: r = sendto(fd, pointer(buf, sizeof buf), length() & 0xffff, MSG_DONTWAIT | (int)(next() & 0x4ff), pointer(buf, sizeof buf), length()); break;
            case 7: r = recvfrom(fd, pointer(buf, sizeof buf), length() & 0xffff, MSG_DONTWAIT | (int)(next() & 0x2123), pointer(buf, sizeof buf), pointer(buf, sizeof buf)); break;
            case 8: r = setsockopt(fd, pick(levels, 11), (int)(next() % 80), pointer(buf, sizeof buf), (socklen_t)length()); break;
            case 9: {
                socklen_t l = (socklen_t)(next() % 300);
                r = getsockopt(fd, pick(levels, 11), (int)(next() % 80), pointer(buf, sizeof buf), next() % 4 ? &l : pointer(buf, sizeof buf));
                break;
            }
            case 10: r = ioctl(fd, (unsigned long)pick(ioctls, 17), pointer(buf, sizeof buf)); break;
            case 11: r = shutdown(fd, (int)(next() % 4)); break;
            case 12: {
                socklen_t l = (socklen_t)length();
                r = next() % 2 ? getsockname(fd, pointer(buf, sizeof buf), &l) : getpeername(fd, pointer(buf, sizeof buf), pointer(buf, sizeof buf));
                break;
            }
            case 13: {
                struct iovec iov[4] = { { pointer(buf, sizeof buf), (size_t)(length() & 0xffff) }, { buf, 16 }, { pointer(buf, sizeof buf), 8 }, { NULL, 0 } };
                struct msghdr mh = { pointer(buf, sizeof buf), (socklen_t)length(), next() % 3 ? iov : pointer(buf, sizeof buf), next() % 6,
                                     pointer(buf, sizeof buf), (size_t)length(), 0 };
                r = next() % 2 ? sendmsg(fd, &mh, MSG_DONTWAIT) : recvmsg(fd, &mh, MSG_DONTWAIT | (int)(next() & 0x40000022));
                break;
            }
            case 14: {
                int sv[2];
                r = socketpair(pick(families, 8), pick(types, 7) | SOCK_NONBLOCK, pick(protos, 9), next() % 4 ? sv : pointer(buf, sizeof buf));
                if (r == 0 && next() % 4 != 0) {
                    if (nfds < 15) { fds[nfds++] = sv[0]; fds[nfds++] = sv[1]; } else { close(sv[0]); close(sv[1]); }
                }
                break;
            }
            case 15:
                if (nfds) { close(fds[nfds - 1]); nfds--; }
                r = 0;
                break;
            }
            done++;
            if (r < 0) errors++;
        }
        printf("socket_fuzz: seed %lu: %ld calls, %ld errors\n", seed, done, errors);
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(kid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("socket_fuzz: the fuzzing child died (status 0x%x)\n", status);
        return 1;
    }
    printf("socket_fuzz: done\n");
    return 0;
}
