/* tcp_stream.c [MiB] — loopback TCP throughput inside the container: a forked child connects to
 * 127.0.0.1 and reads MiB (default 256) that the parent writes in 128 KiB writes: MB/s (10^6 bytes). */
#include "bench.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long mib = arg_count(argc, argv, 256);
    static char buf[128 * 1024];
    memset(buf, 't', sizeof buf);
    long total = mib * 1024 * 1024;
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    if (ls < 0) DIE("socket");
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 1) != 0) DIE("bind/listen");
    getsockname(ls, (struct sockaddr *)&a, &len);
    pid_t pid = fork();
    if (pid < 0) DIE("fork");
    if (pid == 0) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&a, sizeof a) != 0) _exit(2);
        long got = 0;
        for (;;) {
            ssize_t r = read(c, buf, sizeof buf);
            if (r <= 0) break;
            got += r;
        }
        _exit(got == total ? 0 : 1);
    }
    int s = accept(ls, NULL, NULL);
    if (s < 0) DIE("accept");
    double t0 = now_ns();
    for (long done = 0; done < total;) {
        ssize_t w = write(s, buf, sizeof buf);
        if (w <= 0) DIE("write");
        done += w;
    }
    close(s);
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) DIE("reader failed");
    double ns = now_ns() - t0;
    result("tcp_stream", (double)total / (ns / 1e9) / 1e6, "MB/s");
    return 0;
}
