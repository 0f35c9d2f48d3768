/* pipe.c [MiB] — a parent writes MiB (default 64) in 64 KiB writes into a pipe, a forked child reads it all: MB/s (10^6 bytes). */
#include "bench.h"
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long mib = arg_count(argc, argv, 64);
    static char buf[64 * 1024];
    memset(buf, 'p', sizeof buf);
    long total = mib * 1024 * 1024;
    int p[2];
    if (pipe(p) != 0) DIE("pipe");
    double t0 = now_ns();
    pid_t pid = fork();
    if (pid < 0) DIE("fork");
    if (pid == 0) {
        close(p[1]);
        long got = 0;
        for (;;) {
            ssize_t r = read(p[0], buf, sizeof buf);
            if (r <= 0) break;
            got += r;
        }
        _exit(got == total ? 0 : 1);
    }
    close(p[0]);
    for (long done = 0; done < total;) {
        ssize_t w = write(p[1], buf, sizeof buf);
        if (w <= 0) DIE("write");
        done += w;
    }
    close(p[1]);
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) DIE("reader failed");
    double ns = now_ns() - t0;
    result("pipe", (double)total / (ns / 1e9) / 1e6, "MB/s");
    return 0;
}
