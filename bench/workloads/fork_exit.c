/* fork_exit.c [N] — N × (fork, child _exit(0), waitpid) (default 2000): µs per iteration. */
#include "bench.h"
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long n = arg_count(argc, argv, 2000);
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) DIE("fork");
        if (pid == 0) _exit(0);
        int status;
        if (waitpid(pid, &status, 0) != pid) DIE("waitpid");
    }
    result("fork_exit", (now_ns() - t0) / (double)n / 1e3, "us/iter");
    return 0;
}
