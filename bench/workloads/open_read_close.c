/* open_read_close.c [N] — N × (open, read 100 bytes, close) of a small file in /tmp (default 100000): ns per iteration. */
#include "bench.h"
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long n = arg_count(argc, argv, 100000);
    const char *path = "/tmp/bench-small";
    char buf[128];
    memset(buf, 'x', sizeof buf);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    if (fd < 0 || write(fd, buf, 100) != 100 || close(fd) != 0) DIE("create %s", path);
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        fd = open(path, O_RDONLY);
        if (fd < 0) DIE("open %s", path);
        if (read(fd, buf, sizeof buf) != 100) DIE("read");
        close(fd);
    }
    result("open_read_close", (now_ns() - t0) / (double)n, "ns/iter");
    unlink(path);
    return 0;
}
