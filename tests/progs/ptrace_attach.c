/* ptrace_attach: PTRACE_ATTACH sends the tracee SIGSTOP and the tracer's waitpid sees it stop,
 * even when the tracee is the tracer's own parent blocked in waitpid for it (gVisor's
 * AttachParent_PeekData_PokeData_SignalSuppression); PEEKDATA/POKEDATA on an anonymous and a shared
 * file mapping; PTRACE_DETACH with signal 0 suppresses the SIGSTOP (the parent resumes its wait,
 * never left in group stop). Also a plain child attached while it sleeps, and a child already in a
 * group stop, whose attach reports SIGSTOP again. Deterministic output; exit 0 when all checks pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

static void check(const char *what, long got, long want)
{
    if (got == want) {
        printf("ok   %s = %ld\n", what, got);
    } else {
        printf("FAIL %s = %ld (want %ld)\n", what, got, want);
        failures++;
    }
    fflush(stdout);
}

static void attach_parent(void)
{
    char path[] = "/tmp/ptrace_attach.XXXXXX";
    int fd = mkstemp(path);
    unlink(path);
    ftruncate(fd, 4096);
    volatile long *file_word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    volatile long anon_word = 10;
    pid_t child = fork();
    if (child == 0) {
        pid_t parent = getppid();
        int code = 0;
        if (ptrace(PTRACE_ATTACH, parent, 0, 0) != 0) _exit(10);
        int st;
        if (waitpid(parent, &st, 0) != parent) _exit(11);
        if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP) _exit(12);
        errno = 0;
        long w = ptrace(PTRACE_PEEKDATA, parent, &anon_word, 0);
        if (w != 10 || errno) code |= 1 << 0;
        if (ptrace(PTRACE_POKEDATA, parent, &anon_word, 20) != 0) code |= 1 << 1;
        errno = 0;
        w = ptrace(PTRACE_PEEKDATA, parent, file_word, 0);
        if (w != 0 || errno) code |= 1 << 2;
        if (ptrace(PTRACE_POKEDATA, parent, file_word, 30) != 0) code |= 1 << 3;
        if (ptrace(PTRACE_DETACH, parent, 0, 0) != 0) code |= 1 << 4;
        _exit(code);
    }
    int st;
    check("attach parent: the parent's waitpid returns the child", waitpid(child, &st, 0) == child, 1);
    check("attach parent: child's exit code (0: attach, stop, peek/poke, detach all right)", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st), 0);
    check("attach parent: POKEDATA into anonymous memory", anon_word, 20);
    check("attach parent: POKEDATA into the shared file mapping", *file_word, 30);
    close(fd);
}

static void attach_sleeping_child(void)
{
    pid_t c = fork();
    if (c == 0) {
        for (;;) pause();
    }
    check("attach a pausing child", ptrace(PTRACE_ATTACH, c, 0, 0), 0);
    int st;
    check("waitpid sees it", waitpid(c, &st, 0) == c, 1);
    check("stopped by SIGSTOP", WIFSTOPPED(st) ? WSTOPSIG(st) : -1, SIGSTOP);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    check("GETSIGINFO of the attach stop", ptrace(PTRACE_GETSIGINFO, c, 0, &si), 0);
    check("its si_signo", si.si_signo, SIGSTOP);
    check("its si_code (SI_KERNEL)", si.si_code, SI_KERNEL);
    check("DETACH suppressing it", ptrace(PTRACE_DETACH, c, 0, 0), 0);
    check("the child is not stopped after (WUNTRACED|WNOHANG)", waitpid(c, &st, WUNTRACED | WNOHANG), 0);
    kill(c, SIGKILL);
    waitpid(c, &st, 0);
    check("then SIGKILL", WIFSIGNALED(st) ? WTERMSIG(st) : -1, SIGKILL);
}

static void attach_group_stopped_child(void)
{
    pid_t c = fork();
    if (c == 0) {
        for (;;) pause();
    }
    kill(c, SIGSTOP);
    int st;
    check("group-stopped child: WUNTRACED", waitpid(c, &st, WUNTRACED) == c && WIFSTOPPED(st), 1);
    check("attach it", ptrace(PTRACE_ATTACH, c, 0, 0), 0);
    check("waitpid reports the stop again", waitpid(c, &st, 0) == c && WIFSTOPPED(st) ? WSTOPSIG(st) : -1, SIGSTOP);
    siginfo_t si;
    check("GETSIGINFO in the group stop", ptrace(PTRACE_GETSIGINFO, c, 0, &si) < 0 ? -errno : 0, -EINVAL);
    check("DETACH", ptrace(PTRACE_DETACH, c, 0, 0), 0);
    check("still stopped, nothing to report", waitpid(c, &st, WUNTRACED | WNOHANG), 0);
    kill(c, SIGCONT);
    check("SIGCONT: WCONTINUED", waitpid(c, &st, WCONTINUED) == c && WIFCONTINUED(st), 1);
    kill(c, SIGKILL);
    waitpid(c, &st, 0);
}

/* A seized child in a group stop after PTRACE_LISTEN is in no ptrace-stop: CONT answers ESRCH,
 * it sleeps through SIGTERM until SIGCONT re-traps it, then dies of the SIGTERM after DETACH. */
static void seize_listen(void)
{
    pid_t c = fork();
    if (c == 0) {
        for (;;) pause();
    }
    int st;
    check("seize", ptrace(PTRACE_SEIZE, c, 0, 0), 0);
    check("interrupt", ptrace(PTRACE_INTERRUPT, c, 0, 0), 0);
    check("EVENT_STOP trap", waitpid(c, &st, 0) == c ? st >> 8 : -1, SIGTRAP | (PTRACE_EVENT_STOP << 8));
    kill(c, SIGSTOP);
    check("cont", ptrace(PTRACE_CONT, c, 0, 0), 0);
    check("SIGSTOP delivery stop", waitpid(c, &st, 0) == c && WIFSTOPPED(st) ? WSTOPSIG(st) : -1, SIGSTOP);
    check("cont with SIGSTOP", ptrace(PTRACE_CONT, c, 0, SIGSTOP), 0);
    check("group stop as EVENT_STOP", waitpid(c, &st, 0) == c ? st >> 8 : -1, SIGSTOP | (PTRACE_EVENT_STOP << 8));
    check("listen", ptrace(PTRACE_LISTEN, c, 0, 0), 0);
    check("cont while listening", ptrace(PTRACE_CONT, c, 0, 0) < 0 ? -errno : 0, -ESRCH);
    check("nothing to report", waitpid(c, &st, WNOHANG), 0);
    kill(c, SIGTERM);
    usleep(300000);
    check("SIGTERM waits for SIGCONT", waitpid(c, &st, WNOHANG), 0);
    kill(c, SIGCONT);
    check("SIGCONT re-traps", waitpid(c, &st, 0) == c ? st >> 8 : -1, SIGTRAP | (PTRACE_EVENT_STOP << 8));
    check("detach", ptrace(PTRACE_DETACH, c, 0, 0), 0);
    check("then the SIGTERM", waitpid(c, &st, 0) == c && WIFSIGNALED(st) ? WTERMSIG(st) : -1, SIGTERM);
}

int main(void)
{
    alarm(60);
    attach_sleeping_child();
    attach_group_stopped_child();
    attach_parent();
    seize_listen();
    printf("ptrace_attach: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
