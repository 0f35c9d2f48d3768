/* caps: the capability model as Linux has it, whatever sets the container was given. Every
 * expected value is derived from the sets capget reports, so the same program checks a container
 * with runc's default set, with none, with all of them and as a non-root user:
 * capget's version handshake (version 0: EINVAL with _LINUX_CAPABILITY_VERSION_3 written back,
 * 0 with a NULL data pointer), capset's rules, PR_CAPBSET_READ/DROP, PR_CAP_AMBIENT,
 * no_new_privs, securebits, and the privileged operations: chown, mknod, chroot, sethostname,
 * setdomainname, raising a hard rlimit, opening without permission (DAC_OVERRIDE / READ_SEARCH),
 * chmod and utimes of another's file (FOWNER), setuid, setgroups, kill across uids (KILL),
 * binding a port below 1024 (NET_BIND_SERVICE), and what setuid to non-root and execve do to the
 * sets (with and without PR_SET_KEEPCAPS). Prints one line per check, exit 0 when all pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
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
}

static long res(long r) { return r < 0 ? -errno : r; }

static uint64_t eff, prm, inh;

static void load(void)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d) != 0) { perror("capget"); exit(2); }
    eff = d[0].effective | (uint64_t)d[1].effective << 32;
    prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
    inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
}

static int has(int cap) { return (eff >> cap) & 1; }

/* The expected result of an operation guarded by cap: 0 with it, err without. */
static long guarded(int cap, long err) { return has(cap) ? 0 : -err; }

static int capset3(uint64_t e, uint64_t p, uint64_t i)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2] = {
        {(uint32_t)e, (uint32_t)p, (uint32_t)i}, {(uint32_t)(e >> 32), (uint32_t)(p >> 32), (uint32_t)(i >> 32)}};
    return syscall(SYS_capset, &h, d);
}

static void status_lines(const char *tag)
{
    char buf[8192];
    int fd = open("/proc/self/status", O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
    if (fd >= 0) close(fd);
    if (n <= 0) { printf("FAIL %s: cannot read /proc/self/status\n", tag); failures++; return; }
    buf[n] = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
        if (!strncmp(line, "Cap", 3) || !strncmp(line, "NoNewPrivs", 10)) printf("     %s %s\n", tag, line);
}

static void handshake(void)
{
    struct __user_cap_header_struct h = {0, 0};
    struct __user_cap_data_struct d[2];
    check("capget version 0, NULL data", res(syscall(SYS_capget, &h, NULL)), 0);
    check("  version written back", h.version, _LINUX_CAPABILITY_VERSION_3);
    h.version = 0;
    check("capget version 0, data", res(syscall(SYS_capget, &h, d)), -EINVAL);
    check("  version written back", h.version, _LINUX_CAPABILITY_VERSION_3);
    h.version = 0x12345678;
    check("capset unknown version", res(syscall(SYS_capset, &h, d)), -EINVAL);
    check("  version written back", h.version, _LINUX_CAPABILITY_VERSION_3);
    h.version = _LINUX_CAPABILITY_VERSION_3;
    h.pid = -1;
    check("capget pid -1", res(syscall(SYS_capget, &h, d)), -EINVAL);
    h.pid = 99999;
    check("capget no such pid", res(syscall(SYS_capget, &h, d)), -ESRCH);
    h.pid = getpid();
    check("capget own pid", res(syscall(SYS_capget, &h, d)), 0);
    check("  effective low word", d[0].effective, (uint32_t)eff);
    h.version = _LINUX_CAPABILITY_VERSION_1;
    h.pid = 0;
    memset(d, 0xff, sizeof(d));
    check("capget version 1", res(syscall(SYS_capget, &h, d)), 0);
    check("  second word untouched", d[1].effective, 0xffffffffu);
    check("capget bad data pointer", res(syscall(SYS_capget, &h, (void *)8)), -EFAULT);
}

static void bounding_and_ambient(void)
{
    uint64_t bnd = 0;
    for (int c = 0; c <= CAP_LAST_CAP; c++)
        if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1) bnd |= 1ULL << c;
    printf("     bounding set read with PR_CAPBSET_READ %016llx\n", (unsigned long long)bnd);
    check("PR_CAPBSET_READ 41", res(prctl(PR_CAPBSET_READ, 41, 0, 0, 0)), -EINVAL);
    check("PR_CAPBSET_READ -1", res(prctl(PR_CAPBSET_READ, -1L, 0, 0, 0)), -EINVAL);
    check("PR_CAP_AMBIENT_IS_SET 41", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 41, 0, 0)), -EINVAL);
    check("PR_CAP_AMBIENT bad op", res(prctl(PR_CAP_AMBIENT, 9, CAP_KILL, 0, 0)), -EINVAL);
    check("PR_CAP_AMBIENT_CLEAR_ALL with arg", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0)), -EINVAL);
    int kill_ok = ((prm & inh) >> CAP_KILL) & 1;
    check("PR_CAP_AMBIENT_RAISE KILL", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0)), kill_ok ? 0 : -EPERM);
    check("PR_CAP_AMBIENT_IS_SET KILL", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0)), kill_ok);
    check("PR_GET_NO_NEW_PRIVS with arg", res(prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0)), -EINVAL);
    check("PR_SET_NO_NEW_PRIVS 0", res(prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0)), -EINVAL);
    printf("     no_new_privs %ld securebits %ld keepcaps %ld\n", res(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)),
           res(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0)), res(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0)));
    check("PR_SET_KEEPCAPS 2", res(prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0)), -EINVAL);
    check("PR_SET_SECUREBITS junk", res(prctl(PR_SET_SECUREBITS, 0x10000, 0, 0, 0)), -EPERM);
    check("capset raise permitted", res(capset3(eff, prm | (1ULL << CAP_SYS_BOOT) | prm, inh)),
          (prm >> CAP_SYS_BOOT) & 1 ? 0 : -EPERM);
    uint64_t valid = (1ULL << (CAP_LAST_CAP + 1)) - 1;
    check("capset effective beyond permitted", res(capset3(eff | ~prm, prm, inh)), (~prm & valid) ? -EPERM : 0);
    check("capset same sets", res(capset3(eff, prm, inh)), 0);
}

static void privileged_operations(void)
{
    char name[] = "/tmp/caps-file";
    unlink(name);
    int fd = open(name, O_CREAT | O_WRONLY, 0600);
    check("create a file", fd >= 0, 1);
    if (fd >= 0) close(fd);
    uid_t me = geteuid();
    check("chmod 0 own file", res(chmod(name, 0)), 0);
    long want_open = has(CAP_DAC_OVERRIDE) || has(CAP_DAC_READ_SEARCH) ? 0 : -EACCES;
    fd = open(name, O_RDONLY);
    check("open mode 0 for reading", fd >= 0 ? 0 : -errno, want_open);
    if (fd >= 0) close(fd);
    fd = open(name, O_WRONLY);
    check("open mode 0 for writing", fd >= 0 ? 0 : -errno, has(CAP_DAC_OVERRIDE) ? 0 : -EACCES);
    if (fd >= 0) close(fd);
    check("access R_OK (real ids)", res(access(name, R_OK)), getuid() == 0 && ((prm >> CAP_DAC_OVERRIDE | prm >> CAP_DAC_READ_SEARCH) & 1) ? 0 : -EACCES);
    check("chown to another uid", res(chown(name, me + 1000, -1)), guarded(CAP_CHOWN, EPERM));
    check("chown to the same uid", res(chown(name, -1, -1)), 0);
    check("chgrp to a foreign group", res(chown(name, -1, getegid() + 1000)), guarded(CAP_CHOWN, EPERM));
    struct stat st;
    stat(name, &st);
    int owner = st.st_uid == me;
    check("chmod file of another uid", res(chmod(name, 0644)), owner || has(CAP_FOWNER) ? 0 : -EPERM);
    struct timeval tv[2] = {{1, 0}, {2, 0}};
    check("utimes file of another uid", res(utimes(name, tv)), owner || has(CAP_FOWNER) ? 0 : -EPERM);
    unlink(name);

    unlink("/dev/caps-dev");
    /* /dev is root's, mode 755: the directory's permission is checked before CAP_MKNOD. */
    check("mknod char device in /dev", res(mknod("/dev/caps-dev", S_IFCHR | 0600, makedev(1, 3))),
          geteuid() == 0 || has(CAP_DAC_OVERRIDE) ? guarded(CAP_MKNOD, EPERM) : -EACCES);
    unlink("/dev/caps-dev");
    unlink("/tmp/caps-fifo");
    check("mknod fifo", res(mknod("/tmp/caps-fifo", S_IFIFO | 0600, 0)), 0);
    unlink("/tmp/caps-fifo");

    check("sethostname", res(sethostname("caps-test", 9)), guarded(CAP_SYS_ADMIN, EPERM));
    check("setdomainname", res(setdomainname("caps", 4)), guarded(CAP_SYS_ADMIN, EPERM));

    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    struct rlimit up = {rl.rlim_cur, rl.rlim_max + 1};
    check("raise hard RLIMIT_NOFILE", res(setrlimit(RLIMIT_NOFILE, &up)), guarded(CAP_SYS_RESOURCE, EPERM));
    struct rlimit huge = {rl.rlim_cur, 1UL << 30};
    check("RLIMIT_NOFILE above nr_open", res(setrlimit(RLIMIT_NOFILE, &huge)), -EPERM);

    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(80), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    check("bind port 80", res(bind(s, (struct sockaddr *)&a, sizeof(a))), guarded(CAP_NET_BIND_SERVICE, EACCES));
    close(s);

    gid_t g = getegid();
    check("setgroups", res(setgroups(1, &g)), guarded(CAP_SETGID, EPERM));
    check("setgid to a foreign gid", res(setgid(getgid() + 1000)), guarded(CAP_SETGID, EPERM));
    setgid(g);

    /* chroot last: it changes what the rest sees (a chroot to / changes nothing). */
    check("chroot /", res(chroot("/")), guarded(CAP_SYS_CHROOT, EPERM));
}

/* In a child: setuid to 1000 (needs CAP_SETUID), report the sets, exec grep to show exec's sets. */
static void setuid_child(int keep)
{
    pid_t p = fork();
    if (p == 0) {
        if (keep) prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
        long r = res(setresuid(1000, 1000, 1000));
        printf("     setresuid 1000 (keepcaps %d) = %ld\n", keep, r);
        status_lines(keep ? "after setuid with keepcaps:" : "after setuid:");
        fflush(stdout);
        char *argv[] = {"grep", "-E", "^(Cap|NoNewPrivs)", "/proc/self/status", NULL};
        execv("/bin/grep", argv);
        _exit(127);
    }
    int st;
    waitpid(p, &st, 0);
}

static void kill_across_uids(void)
{
    if (!has(CAP_SETUID)) {
        check("setuid to another uid", res(setuid(getuid() + 1000)), -EPERM);
        return;
    }
    int pfd[2];
    if (pipe(pfd) < 0) return;
    pid_t child = fork();
    if (child == 0) {
        close(pfd[0]);
        setresuid(1000, 1000, 1000);
        write(pfd[1], "x", 1);
        pause();
        _exit(0);
    }
    close(pfd[1]);
    char c;
    read(pfd[0], &c, 1);
    close(pfd[0]);
    check("kill another uid (CAP_KILL per set)", res(kill(child, 0)), guarded(CAP_KILL, EPERM));
    /* Drop CAP_KILL from the effective set: now EPERM. */
    check("capset without CAP_KILL", res(capset3(eff & ~(1ULL << CAP_KILL), prm, inh)), 0);
    check("kill another uid without CAP_KILL", res(kill(child, 0)), -EPERM);
    check("SIGCONT in the same session", res(kill(child, SIGCONT)), 0);
    capset3(eff, prm, inh);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    setuid_child(0);
    setuid_child(1);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    load();
    printf("     uid %d euid %d: effective %016llx permitted %016llx inheritable %016llx\n", getuid(), geteuid(),
           (unsigned long long)eff, (unsigned long long)prm, (unsigned long long)inh);
    status_lines("start:");
    handshake();
    bounding_and_ambient();
    privileged_operations();
    kill_across_uids();
    if (has(CAP_SETPCAP)) {
        check("PR_CAPBSET_DROP SYS_BOOT", res(prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT, 0, 0, 0)), 0);
        check("  then PR_CAPBSET_READ", res(prctl(PR_CAPBSET_READ, CAP_SYS_BOOT, 0, 0, 0)), 0);
    } else {
        check("PR_CAPBSET_DROP without SETPCAP", res(prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT, 0, 0, 0)), -EPERM);
    }
    printf("caps: %s (%d failures)\n", failures ? "FAIL" : "ok", failures);
    return failures ? 1 : 0;
}
