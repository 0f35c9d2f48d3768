/* setid: set-user-ID / set-group-ID execve and file capabilities, as Linux does them.
 * "setid show" prints what the exec gave: getresuid, getresgid, AT_SECURE, PR_GET_DUMPABLE,
 * PR_GET_PDEATHSIG, the personality, and /proc/self/status's CapInh/CapPrm/CapEff/CapAmb lines.
 * "setid run PATH..." (as any user) execs each PATH with "show" in a child that set
 * PR_SET_PDEATHSIG(SIGUSR1) and personality(ADDR_NO_RANDOMIZE) first, and prints its exit.
 * "setid trace PATH" does the same under PTRACE_TRACEME (the tracer, its parent, has no
 * CAP_SYS_PTRACE when run as a user: the ids are not raised); "setid share PATH" from a child
 * made with clone(CLONE_FS) (the fs context shared with its parent: not raised either).
 * "setid fcap DIR" (as root with CAP_SETFCAP, CAP_SETUID, CAP_SETGID; DIR a tmpfs without
 * nosuid) copies itself into DIR, gives the copies security.capability values (revision 2 and 3
 * with the effective bit, revision 2 without it, one whose fP the bounding set lacks, malformed
 * ones), and execs them as uid 4321. Output is deterministic (compared with runc's). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

static void show(void)
{
    uid_t r, e, s;
    gid_t gr, ge, gs;
    int pdeath = -1;
    getresuid(&r, &e, &s);
    getresgid(&gr, &ge, &gs);
    prctl(PR_GET_PDEATHSIG, &pdeath);
    printf("resuid %u %u %u resgid %u %u %u secure %lu dumpable %d pdeathsig %d personality %#x\n",
           r, e, s, gr, ge, gs, getauxval(AT_SECURE), prctl(PR_GET_DUMPABLE), pdeath,
           (unsigned)personality(0xffffffff));
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "CapInh:", 7) == 0 || strncmp(line, "CapPrm:", 7) == 0 ||
            strncmp(line, "CapEff:", 7) == 0 || strncmp(line, "CapAmb:", 7) == 0)
            fputs(line, stdout);
    if (f) fclose(f);
    fflush(stdout);
}

static void report(const char *what, int status)
{
    if (WIFEXITED(status)) printf("%s: exit %d\n", what, WEXITSTATUS(status));
    else printf("%s: signal %d\n", what, WTERMSIG(status));
    fflush(stdout);
}

static void exec_show(const char *path)
{
    prctl(PR_SET_PDEATHSIG, SIGUSR1);
    personality(ADDR_NO_RANDOMIZE);
    execl(path, path, "show", (char *)NULL);
    printf("%s: execve errno %d\n", path, errno);
    fflush(stdout);
    _exit(127);
}

static void run(const char *path)
{
    printf("== %s\n", path);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) exec_show(path);
    int st;
    waitpid(p, &st, 0);
    report(path, st);
}

static void trace(const char *path)
{
    printf("== traced %s\n", path);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0) {
            printf("PTRACE_TRACEME errno %d\n", errno);
            _exit(126);
        }
        exec_show(path);
    }
    int st;
    for (;;) {
        if (waitpid(p, &st, 0) < 0) break;
        if (WIFSTOPPED(st)) {
            int sig = WSTOPSIG(st) == SIGTRAP ? 0 : WSTOPSIG(st);
            ptrace(PTRACE_CONT, p, 0, (void *)(long)sig);
            continue;
        }
        break;
    }
    report(path, st);
}

/* A child sharing the fs context (CLONE_FS) with this process: LSM_UNSAFE_SHARE keeps its ids down. */
static void share(const char *path)
{
    printf("== shared fs %s\n", path);
    fflush(stdout);
    long p = syscall(SYS_clone, CLONE_FS | SIGCHLD, 0, 0, 0, 0);
    if (p == 0) exec_show(path);
    int st;
    waitpid((pid_t)p, &st, 0);
    report(path, st);
}

static int copy_self(const char *to)
{
    int in = open("/proc/self/exe", O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (in < 0 || out < 0) return -1;
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, n) != n) return -1;
    close(in);
    close(out);
    return chmod(to, 0755);
}

struct caps3 { unsigned magic, p0, i0, p1, i1, rootid; };

static void fcap(const char *dir, const char *name, unsigned magic, unsigned long long fp, int size, unsigned rootid)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    printf("== fcap %s\n", name);
    fflush(stdout);
    if (copy_self(path) < 0) {
        printf("copy errno %d\n", errno);
        return;
    }
    struct caps3 c = { magic, (unsigned)fp, 0, (unsigned)(fp >> 32), 0, rootid };
    if (setxattr(path, "security.capability", &c, size, 0) < 0) {
        printf("setxattr errno %d\n", errno);
        fflush(stdout);
        return;
    }
    char back[32];
    ssize_t n = getxattr(path, "security.capability", back, sizeof back);
    printf("getxattr %zd\n", n);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        if (setgroups(0, NULL) < 0 || setresgid(1234, 1234, 1234) < 0 || setresuid(4321, 4321, 4321) < 0) {
            printf("setresuid errno %d\n", errno);
            _exit(125);
        }
        exec_show(path);
    }
    int st;
    waitpid(p, &st, 0);
    report(name, st);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "show") == 0) {
        show();
        return 0;
    }
    if (argc > 2 && strcmp(argv[1], "run") == 0) {
        for (int i = 2; i < argc; i++) run(argv[i]);
        return 0;
    }
    if (argc > 2 && strcmp(argv[1], "trace") == 0) {
        trace(argv[2]);
        return 0;
    }
    if (argc > 2 && strcmp(argv[1], "share") == 0) {
        share(argv[2]);
        return 0;
    }
    if (argc > 2 && strcmp(argv[1], "fcap") == 0) {
        const unsigned long long raw = 1ULL << CAP_NET_RAW, bind = 1ULL << CAP_NET_BIND_SERVICE,
            admin = 1ULL << CAP_SYS_ADMIN;
        fcap(argv[2], "v2-eff", VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE, raw | bind, XATTR_CAPS_SZ_2, 0);
        fcap(argv[2], "v2-noeff", VFS_CAP_REVISION_2, raw, XATTR_CAPS_SZ_2, 0);
        fcap(argv[2], "v3-eff", VFS_CAP_REVISION_3 | VFS_CAP_FLAGS_EFFECTIVE, bind, XATTR_CAPS_SZ_3, 0);
        fcap(argv[2], "v3-otherroot", VFS_CAP_REVISION_3 | VFS_CAP_FLAGS_EFFECTIVE, bind, XATTR_CAPS_SZ_3, 1000);
        fcap(argv[2], "v2-notbounded-eff", VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE, admin | raw, XATTR_CAPS_SZ_2, 0);
        fcap(argv[2], "v2-notbounded-noeff", VFS_CAP_REVISION_2, admin | raw, XATTR_CAPS_SZ_2, 0);
        fcap(argv[2], "v1-rejected", VFS_CAP_REVISION_1, raw, XATTR_CAPS_SZ_1, 0);
        fcap(argv[2], "v2-short", VFS_CAP_REVISION_2, raw, XATTR_CAPS_SZ_2 - 4, 0);
        return 0;
    }
    fprintf(stderr, "usage: setid show | run PATH... | trace PATH | share PATH | fcap DIR\n");
    return 2;
}
