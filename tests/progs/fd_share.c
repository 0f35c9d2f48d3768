/* fd_share: fd tables shared between processes with clone(CLONE_FILES), and the calls that give
 * a process its own copy: unshare(CLONE_FILES), close_range(CLOSE_RANGE_UNSHARE) and execve. A
 * sharing child that opens, closes or exits is seen (or not) by its parent as Linux has it; the
 * exit of a sharing process leaves the table to the other; a failed lookup is EBADF.
 * Deterministic output; exit 0 when all checks pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE 2
#endif

static int failures;
static int pipefd[2];

static void check(const char *what, long got, long want)
{
    if (got == want) printf("ok   %s = %ld\n", what, got);
    else { printf("FAIL %s = %ld (want %ld)\n", what, got, want); failures++; }
    fflush(stdout);
}

static int is_open(int fd) { return fcntl(fd, F_GETFD) >= 0 ? 1 : -errno; }

static char stack[256 * 1024];

/* Child modes: 0 open fd 40 in the shared table and exit; 1 unshare then open 41 and close 40;
 * 2 close_range(UNSHARE) over 40 then open 42; 3 exec /bin/true after opening 43 (cloexec) and 44. */
static int child(void *arg)
{
    int mode = (int)(long)arg;
    int fd;
    switch (mode) {
    case 0:
        fd = open("/dev/null", O_RDONLY);
        dup2(fd, 40); close(fd);
        break;
    case 1:
        if (unshare(CLONE_FILES) != 0) _exit(100 + errno);
        fd = open("/dev/null", O_RDONLY);
        dup2(fd, 41); close(fd);
        close(40);
        break;
    case 2:
        if (syscall(SYS_close_range, 40, 40, CLOSE_RANGE_UNSHARE) != 0) _exit(100 + errno);
        if (is_open(40) != -EBADF) _exit(99);
        fd = open("/dev/null", O_RDONLY);
        dup2(fd, 42); close(fd);
        break;
    case 3: {
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        dup3(fd, 43, O_CLOEXEC); close(fd);
        fd = open("/dev/null", O_RDONLY);
        dup2(fd, 44); close(fd);
        char *argv[] = {"/bin/sh", "-c", "exit 7", NULL};
        execv("/bin/sh", argv);
        _exit(98);
    }
    }
    _exit(0);
}

static int run_child(int mode)
{
    pid_t pid = clone(child, stack + sizeof stack, CLONE_FILES | SIGCHLD, (void *)(long)mode);
    if (pid < 0) return -errno;
    int status;
    if (waitpid(pid, &status, 0) != pid) return -errno;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
}

int main(void)
{
    check("clone(CLONE_FILES) child opening 40 exits", run_child(0), 0);
    check("40 open in the parent after the sharing child's exit", is_open(40), 1);
    check("pipe still works after the sharing child's exit", pipe(pipefd), 0);
    check("write to the pipe", write(pipefd[1], "x", 1), 1);

    check("child unshare(CLONE_FILES), opens 41, closes 40", run_child(1), 0);
    check("40 still open in the parent", is_open(40), 1);
    check("41 not in the parent", is_open(41), -EBADF);

    check("child close_range(40,40,UNSHARE), opens 42", run_child(2), 0);
    check("40 still open in the parent after the child's close_range", is_open(40), 1);
    check("42 not in the parent", is_open(42), -EBADF);

    check("child opens 43 (cloexec) and 44, execs sh -c 'exit 7'", run_child(3), 7);
    check("43 (cloexec) still open in the parent after the child's exec", is_open(43), 1);
    check("44 open in the parent (opened before the exec, shared)", is_open(44), 1);

    check("close_range(40,44,0) in the parent", syscall(SYS_close_range, 40, 44, 0), 0);
    check("40 closed", is_open(40), -EBADF);
    check("44 closed", is_open(44), -EBADF);
    check("close_range with unknown flags", syscall(SYS_close_range, 3, 4, 8) == 0 ? 0 : -errno, -EINVAL);
    check("close_range first > last", syscall(SYS_close_range, 5, 4, 0) == 0 ? 0 : -errno, -EINVAL);
    check("unshare(CLONE_FILES|CLONE_FS) in the parent", unshare(CLONE_FILES | CLONE_FS), 0);
    char buf[1];
    check("pipe readable after unshare", read(pipefd[0], buf, 1), 1);

    printf("fd_share: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
