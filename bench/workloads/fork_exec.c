/* fork_exec.c [N] — N × (fork, execve /bin/true, waitpid) (default 1000): µs per iteration. */
#include "bench.h"
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long n = arg_count(argc, argv, 1000);
    char *args[] = {"true", NULL};
    char *env[] = {NULL};
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) DIE("fork");
        if (pid == 0) {
            execve("/bin/true", args, env);
            _exit(127);
        }
        int status;
        if (waitpid(pid, &status, 0) != pid) DIE("waitpid");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            errno = 0;
            DIE("/bin/true exited with status %#x", status);
        }
    }
    result("fork_exec", (now_ns() - t0) / (double)n / 1e3, "us/iter");
    return 0;
}
