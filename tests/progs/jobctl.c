/* jobctl: job control as Linux has it - SIGSTOP/SIGTSTP stop a whole thread group (every thread),
 * SIGCONT resumes it, wait4 with WUNTRACED/WCONTINUED and waitid with WSTOPPED/WCONTINUED/WEXITED/
 * WNOWAIT report it with the exact status words and siginfo, SIGCHLD carries CLD_STOPPED/
 * CLD_CONTINUED/CLD_KILLED/CLD_EXITED (none for stops with SA_NOCLDSTOP), SIGCONT discards a pending
 * stop signal, SIGTERM waits for SIGCONT to kill a stopped process, a terminal stop in an orphaned process group is
 * discarded, kill(-pgid) stops a whole group; pidfd_open/pidfd_send_signal/waitid(P_PIDFD), a pidfd
 * polls readable at exit. Deterministic output; exit 0 when all checks pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif

static int failures;

static void check(const char *what, long got, long want)
{
    if (got == want) {
        printf("ok   %s = %ld\n", what, got);
    } else {
        printf("FAIL %s = %ld (want %ld)\n", what, got, want);
        failures++;
    }
}

static long res(long r) { return r < 0 ? -errno : r; }

static void msleep(int ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

/* SIGCHLD codes seen by the handler, in order. */
static volatile int chld_codes[32], chld_status[32], nchld;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    if (nchld < 32) {
        chld_codes[nchld] = si->si_code;
        chld_status[nchld] = si->si_status;
        nchld++;
    }
}

static void wait_chld(int n)
{
    for (int i = 0; i < 500 && nchld < n; i++) msleep(10);
}

static char proc_state(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return '?';
    int n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) return '?';
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : '?';
}

static pid_t spawn_pauser(void)
{
    pid_t c = fork();
    if (c == 0) {
        for (;;) pause();
    }
    return c;
}

static void basic_stop_continue(void)
{
    pid_t c = spawn_pauser();
    int st = 0;
    check("kill SIGSTOP", res(kill(c, SIGSTOP)), 0);
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    check("waitid WSTOPPED|WNOWAIT", res(waitid(P_PID, c, &si, WSTOPPED | WNOWAIT)), 0);
    check("  si_signo SIGCHLD", si.si_signo, SIGCHLD);
    check("  si_code CLD_STOPPED", si.si_code, CLD_STOPPED);
    check("  si_status SIGSTOP", si.si_status, SIGSTOP);
    check("  si_pid is the child", si.si_pid == c, 1);
    check("  si_uid", si.si_uid, getuid());
    check("waitpid WUNTRACED returns the child", res(waitpid(c, &st, WUNTRACED)) == c, 1);
    check("  status word", st, 0x137f);
    check("  WIFSTOPPED", WIFSTOPPED(st), 1);
    check("  WSTOPSIG", WSTOPSIG(st), SIGSTOP);
    check("stop reported once: waitpid WUNTRACED|WNOHANG", res(waitpid(c, &st, WUNTRACED | WNOHANG)), 0);
    check("plain waitpid WNOHANG on a stopped child", res(waitpid(c, &st, WNOHANG)), 0);
    memset(&si, 0x55, sizeof(si));
    check("waitid WSTOPPED|WNOHANG after the report", res(waitid(P_PID, c, &si, WSTOPPED | WNOHANG)), 0);
    check("  si_pid zero", si.si_pid, 0);
    check("  si_signo zero", si.si_signo, 0);
    check("/proc state while stopped is T", proc_state(c), 'T');
    check("a second SIGSTOP", res(kill(c, SIGSTOP)), 0);
    check("  no new report", res(waitpid(c, &st, WUNTRACED | WNOHANG)), 0);

    check("kill SIGCONT", res(kill(c, SIGCONT)), 0);
    memset(&si, 0, sizeof(si));
    check("waitid WCONTINUED|WNOWAIT", res(waitid(P_PID, c, &si, WCONTINUED | WNOWAIT)), 0);
    check("  si_code CLD_CONTINUED", si.si_code, CLD_CONTINUED);
    check("  si_status SIGCONT", si.si_status, SIGCONT);
    check("waitpid WCONTINUED returns the child", res(waitpid(c, &st, WCONTINUED)) == c, 1);
    check("  status word", st, 0xffff);
    check("  WIFCONTINUED", WIFCONTINUED(st), 1);
    check("continue reported once", res(waitpid(c, &st, WCONTINUED | WNOHANG)), 0);
    msleep(100);
    check("/proc state after SIGCONT is S", proc_state(c), 'S');
    check("SIGCONT to a running process", res(kill(c, SIGCONT)), 0);
    check("  no continue report", res(waitpid(c, &st, WCONTINUED | WNOHANG)), 0);

    check("SIGKILL", res(kill(c, SIGKILL)), 0);
    memset(&si, 0, sizeof(si));
    check("waitid WEXITED|WNOWAIT", res(waitid(P_PID, c, &si, WEXITED | WNOWAIT)), 0);
    check("  si_code CLD_KILLED", si.si_code, CLD_KILLED);
    check("  si_status SIGKILL", si.si_status, SIGKILL);
    check("  still waitable: waitpid", res(waitpid(c, &st, 0)) == c, 1);
    check("  WTERMSIG", WIFSIGNALED(st) ? WTERMSIG(st) : -1, SIGKILL);
    check("waitpid after reaping", res(waitpid(c, &st, 0)), -ECHILD);
}

static void sigchld_codes(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);
    nchld = 0;
    int st;
    pid_t c = spawn_pauser();
    kill(c, SIGSTOP);
    wait_chld(1);
    check("SIGCHLD on stop", nchld, 1);
    check("  si_code CLD_STOPPED", chld_codes[0], CLD_STOPPED);
    check("  si_status SIGSTOP", chld_status[0], SIGSTOP);
    waitpid(c, &st, WUNTRACED);
    kill(c, SIGCONT);
    wait_chld(2);
    check("SIGCHLD on continue", nchld, 2);
    check("  si_code CLD_CONTINUED", chld_codes[1], CLD_CONTINUED);
    check("  si_status SIGCONT", chld_status[1], SIGCONT);
    waitpid(c, &st, WCONTINUED);
    kill(c, SIGTERM);
    wait_chld(3);
    check("SIGCHLD on SIGTERM", nchld, 3);
    check("  si_code CLD_KILLED", chld_codes[2], CLD_KILLED);
    check("  si_status SIGTERM", chld_status[2], SIGTERM);
    waitpid(c, &st, 0);

    c = fork();
    if (c == 0) _exit(7);
    wait_chld(4);
    check("SIGCHLD on exit", nchld, 4);
    check("  si_code CLD_EXITED", chld_codes[3], CLD_EXITED);
    check("  si_status 7", chld_status[3], 7);
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    check("waitid WEXITED|WNOWAIT on an exited child", res(waitid(P_PID, c, &si, WEXITED | WNOWAIT)), 0);
    check("  si_code CLD_EXITED", si.si_code, CLD_EXITED);
    check("  si_status 7", si.si_status, 7);
    memset(&si, 0, sizeof(si));
    check("waitid WEXITED reaps", res(waitid(P_ALL, 0, &si, WEXITED)), 0);
    check("  si_status 7 again", si.si_status, 7);
    check("nothing left", res(waitid(P_ALL, 0, &si, WEXITED | WNOHANG)), -ECHILD);

    /* SA_NOCLDSTOP: no SIGCHLD for stops and continues, still for the death. */
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    nchld = 0;
    c = spawn_pauser();
    kill(c, SIGSTOP);
    check("SA_NOCLDSTOP: stop still waitable", res(waitpid(c, &st, WUNTRACED)) == c && WIFSTOPPED(st), 1);
    kill(c, SIGCONT);
    check("SA_NOCLDSTOP: continue still waitable", res(waitpid(c, &st, WCONTINUED)) == c && WIFCONTINUED(st), 1);
    msleep(100);
    check("SA_NOCLDSTOP: no SIGCHLD for stop/continue", nchld, 0);
    kill(c, SIGKILL);
    waitpid(c, &st, 0);
    wait_chld(1);
    check("SA_NOCLDSTOP: SIGCHLD for the death", nchld, 1);
    check("  si_code CLD_KILLED", chld_codes[0], CLD_KILLED);
    signal(SIGCHLD, SIG_DFL);
}

static volatile long *counters;

static void *spin(void *arg)
{
    long i = (long)arg;
    for (;;) counters[i]++;
    return NULL;
}

static void threads_stop_together(void)
{
    counters = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pid_t c = fork();
    if (c == 0) {
        pthread_t t1, t2;
        pthread_create(&t1, NULL, spin, (void *)1);
        pthread_create(&t2, NULL, spin, (void *)2);
        spin((void *)0);
    }
    for (int i = 0; i < 500 && !(counters[0] && counters[1] && counters[2]); i++) msleep(10);
    check("three threads running", counters[0] && counters[1] && counters[2], 1);
    int st;
    kill(c, SIGSTOP);
    check("stop of a threaded process reported", res(waitpid(c, &st, WUNTRACED)) == c && WIFSTOPPED(st), 1);
    long a[3], b[3];
    for (int i = 0; i < 3; i++) a[i] = counters[i];
    msleep(200);
    for (int i = 0; i < 3; i++) b[i] = counters[i];
    check("every thread stopped", a[0] == b[0] && a[1] == b[1] && a[2] == b[2], 1);
    check("/proc state T", proc_state(c), 'T');
    kill(c, SIGCONT);
    msleep(200);
    check("every thread runs again", counters[0] != b[0] && counters[1] != b[1] && counters[2] != b[2], 1);
    kill(c, SIGKILL);
    waitpid(c, &st, 0);
    check("threaded process killed", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, 1);
}

static void cont_discards_pending_stop(void)
{
    int p1[2], p2[2];
    pipe(p1);
    pipe(p2);
    pid_t c = fork();
    if (c == 0) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGTSTP);
        sigprocmask(SIG_BLOCK, &s, NULL);
        setpgid(0, 0); /* a process group of its own that is not orphaned: SIGTSTP stops it */
        char b = 'r';
        write(p1[1], &b, 1);
        read(p2[0], &b, 1);
        sigset_t pend;
        sigpending(&pend);
        _exit(sigismember(&pend, SIGTSTP) ? 1 : 0);
    }
    char b;
    read(p1[0], &b, 1);
    kill(c, SIGTSTP);
    kill(c, SIGCONT);
    write(p2[1], "g", 1);
    int st;
    waitpid(c, &st, 0);
    check("SIGCONT discards a pending blocked SIGTSTP", WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);

    /* SIGTSTP in a process group of its own (not orphaned) stops it. */
    c = fork();
    if (c == 0) {
        setpgid(0, 0);
        for (;;) pause();
    }
    setpgid(c, c);
    msleep(50);
    kill(c, SIGTSTP);
    check("SIGTSTP stops", res(waitpid(c, &st, WUNTRACED)) == c && WIFSTOPPED(st), 1);
    check("  WSTOPSIG SIGTSTP", WSTOPSIG(st), SIGTSTP);
    kill(c, SIGKILL);
    waitpid(c, &st, 0);

    /* In an orphaned process group (a session of its own) SIGTSTP is discarded, SIGSTOP is not. */
    c = fork();
    if (c == 0) {
        setsid();
        for (;;) pause();
    }
    msleep(100);
    kill(c, SIGTSTP);
    msleep(200);
    check("SIGTSTP in an orphaned group is discarded", res(waitpid(c, &st, WUNTRACED | WNOHANG)), 0);
    kill(c, SIGSTOP);
    check("SIGSTOP in an orphaned group stops", res(waitpid(c, &st, WUNTRACED)) == c && WIFSTOPPED(st), 1);
    kill(c, SIGTERM);
    msleep(100);
    check("SIGTERM waits while the process is stopped", res(waitpid(c, &st, WNOHANG)), 0);
    kill(c, SIGCONT);
    check("SIGCONT lets the pending SIGTERM kill it", res(waitpid(c, &st, 0)) == c && WIFSIGNALED(st), 1);
    check("  WTERMSIG SIGTERM", WTERMSIG(st), SIGTERM);
}

static void group_stop_by_pgid(void)
{
    pid_t a = fork();
    if (a == 0) {
        setpgid(0, 0);
        for (;;) pause();
    }
    setpgid(a, a);
    pid_t b = fork();
    if (b == 0) {
        setpgid(0, a);
        for (;;) pause();
    }
    setpgid(b, a);
    msleep(50);
    check("kill(-pgid, SIGSTOP)", res(kill(-a, SIGSTOP)), 0);
    siginfo_t si;
    int seen = 0;
    for (int i = 0; i < 2; i++) {
        memset(&si, 0, sizeof(si));
        if (waitid(P_PGID, a, &si, WSTOPPED) == 0 && si.si_code == CLD_STOPPED) seen |= si.si_pid == a ? 1 : si.si_pid == b ? 2 : 4;
    }
    check("waitid P_PGID saw both stops", seen, 3);
    check("kill(-pgid, SIGCONT)", res(kill(-a, SIGCONT)), 0);
    seen = 0;
    for (int i = 0; i < 2; i++) {
        memset(&si, 0, sizeof(si));
        if (waitid(P_PGID, a, &si, WCONTINUED) == 0 && si.si_code == CLD_CONTINUED) seen |= si.si_pid == a ? 1 : si.si_pid == b ? 2 : 4;
    }
    check("waitid P_PGID saw both continues", seen, 3);
    kill(-a, SIGKILL);
    int st, n = 0;
    while (waitpid(-a, &st, 0) > 0) n++;
    check("both reaped by waitpid(-pgid)", n, 2);
}

static void pidfds(void)
{
    pid_t c = spawn_pauser();
    int pfd = syscall(SYS_pidfd_open, c, 0);
    check("pidfd_open", pfd >= 0, 1);
    check("  close-on-exec", fcntl(pfd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    struct pollfd p = { .fd = pfd, .events = POLLIN };
    check("poll a live process", poll(&p, 1, 50), 0);
    check("pidfd_send_signal unknown flag", res(syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 8)), -EINVAL);
    check("pidfd_send_signal on a non-pidfd", res(syscall(SYS_pidfd_send_signal, 0, SIGTERM, NULL, 0)), -EBADF);
    check("pidfd_send_signal 0", res(syscall(SYS_pidfd_send_signal, pfd, 0, NULL, 0)), 0);
    check("pidfd_send_signal SIGSTOP", res(syscall(SYS_pidfd_send_signal, pfd, SIGSTOP, NULL, 0)), 0);
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    check("waitid P_PIDFD WSTOPPED", res(waitid(P_PIDFD, pfd, &si, WSTOPPED)), 0);
    check("  si_code CLD_STOPPED", si.si_code, CLD_STOPPED);
    check("  si_pid", si.si_pid == c, 1);
    syscall(SYS_pidfd_send_signal, pfd, SIGCONT, NULL, 0);
    check("pidfd_send_signal SIGTERM", res(syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0)), 0);
    p.revents = 0;
    check("poll after its death", poll(&p, 1, 5000), 1);
    check("  revents", p.revents, POLLIN);
    memset(&si, 0, sizeof(si));
    check("waitid P_PIDFD WEXITED", res(waitid(P_PIDFD, pfd, &si, WEXITED)), 0);
    check("  si_code CLD_KILLED", si.si_code, CLD_KILLED);
    check("  si_status SIGTERM", si.si_status, SIGTERM);
    check("pidfd_send_signal after reaping", res(syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0)), -ESRCH);
    close(pfd);
    check("pidfd_open pid 0", res(syscall(SYS_pidfd_open, 0, 0)), -EINVAL);
    check("pidfd_open bad flags", res(syscall(SYS_pidfd_open, getpid(), 1)), -EINVAL);
    check("pidfd_open missing pid", res(syscall(SYS_pidfd_open, 99999, 0)), -ESRCH);
    check("waitid P_PIDFD bad fd", res(waitid(P_PIDFD, 77, &si, WEXITED)), -EBADF);
    c = spawn_pauser();
    pfd = syscall(SYS_pidfd_open, c, PIDFD_NONBLOCK);
    check("waitid on a non-blocking pidfd", res(waitid(P_PIDFD, pfd, &si, WEXITED)), -EAGAIN);
    kill(c, SIGKILL);
    check("  after the kill", res(waitid(P_PIDFD, pfd, &si, WEXITED | __WALL)) == 0 || errno == EAGAIN, 1);
    waitpid(c, NULL, 0);
    close(pfd);
}

static void bad_arguments(void)
{
    int st;
    siginfo_t si;
    check("wait4 unknown option", res(wait4(-1, &st, 0x100, NULL)), -EINVAL);
    check("wait4 WNOWAIT is not a wait4 option", res(wait4(-1, &st, WNOWAIT, NULL)), -EINVAL);
    check("waitid without WEXITED/WSTOPPED/WCONTINUED", res(waitid(P_ALL, 0, &si, WNOHANG)), -EINVAL);
    check("waitid bad idtype", res(syscall(247, 7, 0, &si, WEXITED, NULL)), -EINVAL);
    check("waitid P_PID 0", res(waitid(P_PID, 0, &si, WEXITED)), -EINVAL);
    check("wait4 with no children", res(wait4(-1, &st, 0, NULL)), -ECHILD);
    check("waitid with no children", res(waitid(P_ALL, 0, &si, WEXITED)), -ECHILD);
    check("kill bad signal", res(kill(getpid(), 65)), -EINVAL);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    basic_stop_continue();
    sigchld_codes();
    threads_stop_together();
    cont_discards_pending_stop();
    group_stop_by_pgid();
    pidfds();
    bad_arguments();
    printf("jobctl: %s (%d failures)\n", failures ? "FAIL" : "ok", failures);
    return failures ? 1 : 0;
}
