/*
 * timeit.c NAME REPS CMD [ARGS...] — runs CMD (PATH search) REPS times, one after another, and
 * prints the mean wall time of one run: RESULT NAME <ms> ms. Used for the real programs
 * (python3, gcc, sqlite3) so their cost is measured inside the container, not the start-up of it.
 * Exits 1 (no RESULT line) when a run fails.
 */
#include "bench.h"
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 4 || atol(argv[2]) <= 0) {
        fprintf(stderr, "usage: %s NAME REPS CMD [ARGS...]\n", argv[0]);
        return 2;
    }
    long reps = atol(argv[2]);
    double t0 = now_ns();
    for (long i = 0; i < reps; i++) {
        pid_t pid = fork();
        if (pid < 0) DIE("fork");
        if (pid == 0) {
            execvp(argv[3], argv + 3);
            fprintf(stderr, "timeit: exec %s: %s\n", argv[3], strerror(errno));
            _exit(127);
        }
        int status;
        if (waitpid(pid, &status, 0) != pid) DIE("waitpid");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "timeit: %s failed with wait status %#x\n", argv[3], status);
            return 1;
        }
    }
    result(argv[1], (now_ns() - t0) / (double)reps / 1e6, "ms");
    return 0;
}
