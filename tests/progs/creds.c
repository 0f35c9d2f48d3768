/* creds: the set*id family with Linux's rules on real/effective/saved ids and the capability
 * effects of uid changes. "creds root" runs as uid 0 holding CAP_SETUID, CAP_SETGID and CAP_CHOWN
 * (the test's config.json grants them): dropping to a uid with saved uid 0 and back
 * (setresuid(-1,0,-1), as sudo does), effective caps cleared and restored, setfsuid dropping the fs
 * capabilities, PR_SET_KEEPCAPS keeping the permitted set across a full uid change, capset raising
 * it again, an execve recomputing them. "creds user" runs as 4321:1234 with no capabilities: every
 * change outside its own ids is EPERM. Deterministic output; exit 0 when all checks pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
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

static long res(long r) { return r < 0 ? -errno : r; }

static void caps(unsigned long long *eff, unsigned long long *perm)
{
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof(d));
    syscall(SYS_capget, &h, d);
    *eff = d[0].effective | ((unsigned long long)d[1].effective << 32);
    *perm = d[0].permitted | ((unsigned long long)d[1].permitted << 32);
}

static int has_eff(int cap)
{
    unsigned long long e, p;
    caps(&e, &p);
    return (e >> cap) & 1;
}

static int has_perm(int cap)
{
    unsigned long long e, p;
    caps(&e, &p);
    return (p >> cap) & 1;
}

static void ids(const char *what, unsigned r, unsigned e, unsigned s)
{
    uid_t a, b, c;
    getresuid(&a, &b, &c);
    char buf[128];
    snprintf(buf, sizeof(buf), "%s: resuid %u %u %u", what, a, b, c);
    check(buf, a == r && b == e && c == s, 1);
    check("  fsuid follows euid", setfsuid(-1), e);
}

static int run_child(void (*fn)(void))
{
    pid_t c = fork();
    if (c == 0) {
        failures = 0;
        fn();
        _exit(failures);
    }
    int st;
    waitpid(c, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

static void drop_and_back(void)
{
    check("setresgid(1000,1000,0)", res(setresgid(1000, 1000, 0)), 0);
    gid_t a, b, c;
    getresgid(&a, &b, &c);
    check("  resgid", a == 1000 && b == 1000 && c == 0, 1);
    check("setresuid(1000,1000,0)", res(setresuid(1000, 1000, 0)), 0);
    ids("after drop", 1000, 1000, 0);
    check("  effective CAP_SETUID cleared", has_eff(CAP_SETUID), 0);
    check("  permitted CAP_SETUID kept (saved uid 0)", has_perm(CAP_SETUID), 1);
    check("setuid(2000) without the capability", res(setuid(2000)), -EPERM);
    check("setresuid(-1,2000,-1)", res(setresuid(-1, 2000, -1)), -EPERM);
    check("setresgid(-1,0,-1) (saved gid 0)", res(setresgid(-1, 0, -1)), 0);
    check("setresuid(-1,0,-1) back to the saved uid 0", res(setresuid(-1, 0, -1)), 0);
    ids("back", 1000, 0, 0);
    check("  effective CAP_SETUID restored", has_eff(CAP_SETUID), 1);
    check("setresuid(-1,-1,-1)", res(setresuid(-1, -1, -1)), 0);
    check("setreuid(-1,1000)", res(setreuid(-1, 1000)), 0);
    ids("setreuid to the real uid keeps saved", 1000, 1000, 0);
    check("seteuid(0)", res(seteuid(0)), 0);
    check("setreuid(0,-1)", res(setreuid(0, -1)), 0);
    ids("setreuid of the real uid sets saved", 0, 0, 0);
    check("setuid(-1)", res(setuid(-1)), -EINVAL);
    check("setuid(1500) as root sets all", res(setuid(1500)), 0);
    ids("after setuid", 1500, 1500, 1500);
    check("  permitted emptied", has_perm(CAP_SETUID), 0);
    check("setuid(0) now", res(setuid(0)), -EPERM);
    check("setresuid(-1,0,-1) now", res(setresuid(-1, 0, -1)), -EPERM);
}

static void fsuid_caps(void)
{
    check("CAP_CHOWN effective", has_eff(CAP_CHOWN), 1);
    check("setfsuid(1234) returns the old fsuid", setfsuid(1234), 0);
    check("  fsuid now", setfsuid(-1), 1234);
    check("  CAP_CHOWN dropped from effective", has_eff(CAP_CHOWN), 0);
    check("  CAP_SETUID stays", has_eff(CAP_SETUID), 1);
    check("setfsuid(0)", setfsuid(0), 1234);
    check("  CAP_CHOWN back", has_eff(CAP_CHOWN), 1);
}

static void keepcaps(void)
{
    check("PR_GET_KEEPCAPS", res(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0)), 0);
    check("PR_SET_KEEPCAPS 2", res(prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0)), -EINVAL);
    check("PR_SET_KEEPCAPS 1", res(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)), 0);
    check("PR_GET_KEEPCAPS now", res(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0)), 1);
    check("PR_GET_SECUREBITS", res(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0)), 16);
    check("setresuid(1000,1000,1000)", res(setresuid(1000, 1000, 1000)), 0);
    ids("full drop", 1000, 1000, 1000);
    check("  permitted CAP_SETUID kept (keep-caps)", has_perm(CAP_SETUID), 1);
    check("  effective cleared", has_eff(CAP_SETUID), 0);
    check("setuid(0) without effective", res(setuid(0)), -EPERM);
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof(d));
    syscall(SYS_capget, &h, d);
    d[0].permitted |= 1u << CAP_SYS_ADMIN; /* not granted by the test's config.json */
    check("capset cannot add to permitted", res(syscall(SYS_capset, &h, d)), -EPERM);
    memset(d, 0, sizeof(d));
    syscall(SYS_capget, &h, d);
    d[0].effective = d[0].permitted;
    d[1].effective = d[1].permitted;
    check("capset raises effective from permitted", res(syscall(SYS_capset, &h, d)), 0);
    check("  CAP_SETUID effective", has_eff(CAP_SETUID), 1);
    check("setuid(0) with the capability", res(setuid(0)), 0);
    ids("all back", 0, 0, 0);
}

static void no_keepcaps(void)
{
    check("setresuid(1000,1000,1000) without keep-caps", res(setresuid(1000, 1000, 1000)), 0);
    check("  permitted emptied", has_perm(CAP_SETUID), 0);
    check("setresuid(-1,0,-1)", res(setresuid(-1, 0, -1)), -EPERM);
    check("setgid(0)", res(setgid(0)), 0); /* CAP_SETGID is gone too, but 0 is the real gid */
    check("setgroups without CAP_SETGID", res(setgroups(0, NULL)), -EPERM);
}

static void exec_show(void)
{
    unsigned long long e, p;
    caps(&e, &p);
    uid_t a, b, c;
    getresuid(&a, &b, &c);
    printf("exec: resuid %u %u %u effective %llx permitted %llx keepcaps %d\n", a, b, c, e, p,
           prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
}

static void root_checks(void)
{
    ids("start", 0, 0, 0);
    check("CAP_SETUID effective", has_eff(CAP_SETUID), 1);
    gid_t g[3] = { 50, 5, 20 };
    check("setgroups", res(setgroups(3, g)), 0);
    gid_t out[8];
    int n = getgroups(8, out);
    check("getgroups count", n, 3);
    check("  sorted", n == 3 && out[0] == 5 && out[1] == 20 && out[2] == 50, 1);
    check("getgroups too small", res(getgroups(1, out)), -EINVAL);
    check("setgroups too many", res(setgroups(65537, g)), -EINVAL);
    check("setgroups(0)", res(setgroups(0, NULL)), 0);
    check("drop_and_back failures", run_child(drop_and_back), 0);
    check("fsuid_caps failures", run_child(fsuid_caps), 0);
    check("keepcaps failures", run_child(keepcaps), 0);
    check("no_keepcaps failures", run_child(no_keepcaps), 0);

    /* execve recomputes: real uid 0 with effective uid 1000 gets permitted only; keep-caps is cleared. */
    pid_t c = fork();
    if (c == 0) {
        prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
        setresuid(0, 1000, 0);
        execl("/proc/self/exe", "creds", "show", (char *)NULL);
        _exit(99);
    }
    int st;
    waitpid(c, &st, 0);
    c = fork();
    if (c == 0) {
        prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
        setresuid(1000, 1000, 1000);
        execl("/proc/self/exe", "creds", "show", (char *)NULL);
        _exit(99);
    }
    waitpid(c, &st, 0);
}

static void user_checks(void)
{
    ids("start", 4321, 4321, 4321);
    unsigned long long e, p;
    caps(&e, &p);
    check("no effective capabilities", e == 0, 1);
    check("setuid(4321)", res(setuid(4321)), 0);
    check("setuid(0)", res(setuid(0)), -EPERM);
    check("setresuid(-1,0,-1)", res(setresuid(-1, 0, -1)), -EPERM);
    check("setresuid(4321,4321,4321)", res(setresuid(4321, 4321, 4321)), 0);
    check("setreuid(-1,4321)", res(setreuid(-1, 4321)), 0);
    check("setreuid(0,-1)", res(setreuid(0, -1)), -EPERM);
    check("seteuid(1)", res(seteuid(1)), -EPERM);
    check("setfsuid(0) returns the old fsuid", setfsuid(0), 4321);
    check("  unchanged", setfsuid(-1), 4321);
    check("setgid(1234)", res(setgid(1234)), 0);
    check("setgid(0)", res(setgid(0)), -EPERM);
    check("setresgid(-1,-1,0)", res(setresgid(-1, -1, 0)), -EPERM);
    check("setregid(1234,1234)", res(setregid(1234, 1234)), 0);
    check("setfsgid(0) returns the old fsgid", setfsgid(0), 1234);
    check("setgroups", res(setgroups(0, NULL)), -EPERM);
    check("PR_SET_KEEPCAPS", res(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)), 0);
    check("PR_SET_SECUREBITS without CAP_SETPCAP", res(prctl(PR_SET_SECUREBITS, 0, 0, 0, 0)), -EPERM);
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof(d));
    d[0].permitted = d[0].effective = 1u << CAP_SETUID;
    check("capset adding a capability", res(syscall(SYS_capset, &h, d)), -EPERM);
    h.version = 0x12345678;
    check("capget bad version", res(syscall(SYS_capget, &h, NULL)), 0);
    check("  version answered", h.version, _LINUX_CAPABILITY_VERSION_3);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *mode = argc > 1 ? argv[1] : "root";
    if (strcmp(mode, "show") == 0) {
        exec_show();
        return 0;
    }
    if (strcmp(mode, "user") == 0) user_checks();
    else root_checks();
    printf("creds: %s (%d failures)\n", failures ? "FAIL" : "ok", failures);
    return failures ? 1 : 0;
}
