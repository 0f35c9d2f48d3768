/* stat.c [N] — N stat calls of a file two directories deep in /tmp (default 200000): ns per call. */
#include "bench.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long n = arg_count(argc, argv, 200000);
    const char *path = "/tmp/bench-stat/d/file";
    mkdir("/tmp/bench-stat", 0755);
    mkdir("/tmp/bench-stat/d", 0755);
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    if (fd < 0) DIE("create %s", path);
    close(fd);
    struct stat st;
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if (stat(path, &st) != 0) DIE("stat");
    }
    result("stat", (now_ns() - t0) / (double)n, "ns/call");
    unlink(path);
    rmdir("/tmp/bench-stat/d");
    rmdir("/tmp/bench-stat");
    return 0;
}
