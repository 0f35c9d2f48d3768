/* write_tmp.c [MiB] — writes MiB (default 64) to /tmp/bench-write in 64 KiB writes, then closes: MB/s (10^6 bytes). */
#include "bench.h"
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long mib = arg_count(argc, argv, 64);
    const char *path = "/tmp/bench-write";
    static char buf[64 * 1024];
    memset(buf, 'w', sizeof buf);
    long writes = mib * 16;
    double t0 = now_ns();
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    if (fd < 0) DIE("open %s", path);
    for (long i = 0; i < writes; i++) {
        if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) DIE("write");
    }
    if (close(fd) != 0) DIE("close");
    double ns = now_ns() - t0;
    result("write_tmp", (double)writes * sizeof buf / (ns / 1e9) / 1e6, "MB/s");
    unlink(path);
    return 0;
}
