/* escape SECRET_NAME CANARY_PID: attempts to leave the sandbox, one case per line, each
 * "NAME: contained (how)" or "NAME: ESCAPED (what)". SECRET_NAME is a file next to the bundle's
 * rootfs and next to a bind mount's source (outside the container's view); CANARY_PID is a host
 * process. The host side also checks that the secret's contents never appear in the output, that
 * host files are unchanged and that the canary lives. Not a differential test: what runc allows
 * (mount, chroot, raw sockets with privileges...) is beside the point; nothing may reach the host. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/netlink.h>
#include <unistd.h>

static const char *secret;
static int canary;
static int escapes;

static void report(const char *name, int escaped, const char *how)
{
    printf("%s: %s (%s)\n", name, escaped ? "ESCAPED" : "contained", how);
    fflush(stdout);
    if (escaped) escapes++;
}

/* Reads path; 1 and prints what it read if it opened (the host side looks for the token). */
static int leaks(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return 0;
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) n = 0;
    buf[n] = 0;
    printf("  read %s: %s\n", path, buf);
    return strstr(buf, "csrunsc-secret") != NULL;
}

static char *join(const char *a, const char *b)
{
    static char buf[4][512];
    static int i;
    char *p = buf[i++ & 3];
    snprintf(p, 512, "%s%s", a, b);
    return p;
}

/* Any directory from / upwards named in dirs holding the secret? */
static int secret_reachable(void)
{
    static const char *prefixes[] = { "/../", "/../../", "../", "../../../../", "/mnt/b/../", "/mnt/b/../../",
        "/proc/self/root/../", "/proc/1/root/../", "/proc/self/cwd/../../" };
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
        if (leaks(join(prefixes[i], secret))) return 1;
    return 0;
}

static void dotdot(void)
{
    chdir("/");
    report("dotdot", secret_reachable(), "no path with .. reaches the secret");
    report("bind-dotdot", leaks(join("/mnt/b/../", secret)) || leaks(join("/mnt/b/../../", secret)), ".. from a bind mount stays in the container");
}

static void symlinks(void)
{
    mkdir("/tmp/esc", 0755);
    unlink("/tmp/esc/abs");
    unlink("/tmp/esc/rel");
    symlink(join("/../../../", secret), "/tmp/esc/abs");
    symlink(join("../../../../../../", secret), "/tmp/esc/rel");
    unlink("/mnt/b/up");
    int made = symlink(join("../../../", secret), "/mnt/b/up") == 0;
    int e = leaks("/tmp/esc/abs") || leaks("/tmp/esc/rel") || (made && leaks("/mnt/b/up"));
    report("symlinks", e, "absolute and relative links resolve in the guest's root");
}

static volatile int racing = 1;

static void *swapper(void *arg)
{
    (void)arg;
    while (racing) {
        rename("/tmp/race/d", "/tmp/race/tmp");
        rename("/tmp/race/link", "/tmp/race/d");
        rename("/tmp/race/d", "/tmp/race/link");
        rename("/tmp/race/tmp", "/tmp/race/d");
    }
    return NULL;
}

static void rename_race(void)
{
    mkdir("/tmp/race", 0755);
    mkdir("/tmp/race/d", 0755);
    mkdir("/tmp/race/d/x", 0755);
    symlink("/../../../../../../..", "/tmp/race/link");
    pthread_t t;
    pthread_create(&t, NULL, swapper, NULL);
    int e = 0;
    char *path = join("/tmp/race/d/x/../../../../../../../", secret);
    for (int i = 0; i < 10000 && !e; i++) e = leaks(path);
    racing = 0;
    pthread_join(t, NULL);
    report("rename-race", e, "10000 walks against a dir/symlink swap");
}

static void hardlinks(void)
{
    int e = link(join("/../", secret), "/tmp/esc/hl") == 0 && leaks("/tmp/esc/hl");
    e |= link(join("/mnt/b/../", secret), "/tmp/esc/hl2") == 0 && leaks("/tmp/esc/hl2");
    /* An O_PATH fd of the root linked by AT_EMPTY_PATH names nothing outside either. */
    int fd = open("/", O_PATH);
    e |= linkat(fd, "", AT_FDCWD, "/tmp/esc/hl3", AT_EMPTY_PATH) == 0 && leaks(join("/tmp/esc/hl3/../", secret));
    close(fd);
    report("hardlinks", e, "no link names a file outside");
}

static void proc_roots(void)
{
    char buf[256] = "";
    ssize_t n = readlink("/proc/1/root", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    int e = leaks(join("/proc/self/root/../", secret)) || leaks(join("/proc/1/root/../../", secret));
    e |= n > 0 && strcmp(buf, "/") != 0;
    report("proc-root", e, "/proc/self/root and /proc/1/root are the guest's /");
}

static void exe_rewrite(void)
{
    int fd = open("/proc/self/exe", O_WRONLY);
    int err = errno;
    /* Never write: even if it opened, it is the rootfs copy, and later cases need it. */
    if (fd >= 0) close(fd);
    char how[64];
    snprintf(how, sizeof how, fd >= 0 ? "opened for writing, not written" : "open: %s", strerror(err));
    report("proc-self-exe", 0, how);
}

static void fd_scan(void)
{
    int extra = 0, e = 0;
    for (int fd = 3; fd < 4096; fd++) {
        struct stat st;
        if (fstat(fd, &st) < 0) continue;
        extra++;
        int up = openat(fd, "..", O_RDONLY | O_DIRECTORY);
        if (up >= 0) {
            char p[64];
            snprintf(p, sizeof p, "/proc/self/fd/%d/", up);
            e |= leaks(join(p, secret));
            close(up);
        }
    }
    char how[64];
    snprintf(how, sizeof how, "%d inherited fds beyond stdio", extra);
    report("fd-scan", e || extra > 0, how);
}

static void devices(void)
{
    int made = mknod("/tmp/esc/sda", S_IFBLK | 0600, makedev(8, 0)) == 0;
    int err = errno;
    int e = 0;
    if (made) {
        int fd = open("/tmp/esc/sda", O_RDONLY);
        e = fd >= 0;
        if (fd >= 0) close(fd);
    }
    int fd = open("/dev/sda", O_RDONLY);
    e |= fd >= 0;
    if (fd >= 0) close(fd);
    fd = open("/dev/vda", O_RDONLY);
    e |= fd >= 0;
    if (fd >= 0) close(fd);
    report("block-device", e, made ? "made but never opens" : strerror(err));
}

static void mounts(void)
{
    int e = 0;
    mkdir("/tmp/esc/m", 0755);
    if (mount("/dev/sda", "/tmp/esc/m", "ext4", 0, NULL) == 0) e = 1;
    if (mount("proc", "/tmp/esc/m", "proc", 0, NULL) == 0) {
        /* A proc of its own is the guest's: its root is still the guest's. */
        e |= leaks(join("/tmp/esc/m/1/root/../", secret));
        umount("/tmp/esc/m");
    }
    if (mount("/..", "/tmp/esc/m", NULL, MS_BIND, NULL) == 0) {
        e |= leaks(join("/tmp/esc/m/", secret));
        umount("/tmp/esc/m");
    }
    report("mount", e, "no host device or tree mounted");
}

static void chroot_escape(void)
{
    int e = 0;
    pid_t pid = fork();
    if (pid == 0) {
        mkdir("/tmp/esc/jail", 0755);
        int root = open("/", O_RDONLY | O_DIRECTORY);
        if (chroot("/tmp/esc/jail") == 0) {
            /* The classic: an fd outside the new root, then climb. */
            fchdir(root);
            for (int i = 0; i < 20; i++) chdir("..");
            chroot(".");
        }
        mkdir("/tmp/esc/new", 0755);
        syscall(SYS_pivot_root, "/tmp", "/tmp/esc/new");
        _exit(secret_reachable() || leaks(secret) ? 1 : 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    e = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    report("chroot-pivot_root", e, "chroot, fd-based climb, pivot_root");
}

static void processes(void)
{
    int e = ptrace(PTRACE_ATTACH, canary, 0, 0) == 0;
    e |= ptrace(PTRACE_SEIZE, canary, 0, 0) == 0;
    report("ptrace-host", e, "host pid not traceable");
    kill(canary, SIGKILL); /* the host side checks the canary lives */
    kill(-1, SIGKILL);
    report("kill", 0, "kill(canary) and kill(-1) reach only the guest (canary checked on the host)");
    char buf[16];
    struct iovec local = { buf, sizeof buf }, remote = { (void *)0x400000, sizeof buf };
    e = syscall(SYS_process_vm_readv, canary, &local, 1, &remote, 1, 0) > 0;
    e |= syscall(SYS_process_vm_writev, canary, &local, 1, &remote, 1, 0) > 0;
    report("process_vm", e, "no host process memory");
}

static void sockets(void)
{
    int e = 0;
    int fd = socket(AF_PACKET, SOCK_RAW, 0);
    e |= fd >= 0;
    if (fd >= 0) close(fd);
    fd = socket(AF_INET, SOCK_RAW, 1);
    e |= fd >= 0;
    if (fd >= 0) close(fd);
    fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT);
    e |= fd >= 0;
    if (fd >= 0) close(fd);
    report("raw-packet-netlink", e, "no raw, packet or audit socket without the capability");
}

static void one_syscall(const char *name, long nr, long a, long b, long c, long d, long f)
{
    errno = 0;
    long r = syscall(nr, a, b, c, d, f, 0);
    char how[64];
    if (r < 0) snprintf(how, sizeof how, "%s", strerror(errno));
    else snprintf(how, sizeof how, "returned %ld", r);
    report(name, r >= 0, how);
}

static void kernel_surfaces(void)
{
    char attr[128] = { 0 };
    one_syscall("bpf", SYS_bpf, 5 /* BPF_PROG_LOAD */, (long)attr, sizeof attr, 0, 0);
    char params[120] = { 0 };
    one_syscall("io_uring", SYS_io_uring_setup, 4, (long)params, 0, 0, 0);
    one_syscall("userfaultfd", SYS_userfaultfd, O_CLOEXEC, 0, 0, 0, 0);
    one_syscall("keyctl", SYS_add_key, (long)"user", (long)"csrunsc-escape", (long)"v", 1, -3 /* KEY_SPEC_SESSION_KEYRING */);
    char pattr[128] = { 0 };
    *(uint32_t *)(pattr + 4) = sizeof pattr; /* size */
    one_syscall("perf_event_open", SYS_perf_event_open, (long)pattr, -1, 0, -1, 0);
    one_syscall("iopl", SYS_iopl, 3, 0, 0, 0, 0);
    one_syscall("ioperm", SYS_ioperm, 0x60, 8, 1, 0, 0);
    /* An LDT entry (modify_ldt write): nothing the stubs or the Sentry would run on. */
    struct { uint32_t entry, base, limit, flags; } desc = { 0, 0, 0xfffff, 0x51 };
    one_syscall("modify_ldt", SYS_modify_ldt, 1, (long)&desc, sizeof desc, 0, 0);
}

static void namespaces(void)
{
    int e = 0;
    pid_t pid = fork();
    if (pid == 0) {
        unshare(CLONE_NEWUSER | CLONE_NEWNS);
        int fd = open("/proc/1/ns/mnt", O_RDONLY);
        if (fd >= 0) setns(fd, 0);
        _exit(secret_reachable() ? 1 : 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    e = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    report("unshare-setns", e, "new or joined namespaces see only the guest");
}

static void int80(void)
{
    /* i386 open(path, O_RDONLY) = 5 through int 0x80: never dispatched as a 64-bit call. */
    static char path[512];
    snprintf(path, sizeof path, "/../%s", secret);
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(5L), "b"((long)(uintptr_t)path), "c"(0L) : "memory");
    if (r >= 0) close((int)r);
    char how[64];
    snprintf(how, sizeof how, "int 0x80 open = %ld", r);
    report("int80", r >= 0, how);
}

static void sys_writes(void)
{
    int e = 0;
    static const char *paths[] = { "/proc/sys/kernel/hostname", "/proc/sys/kernel/core_pattern",
        "/proc/sys/vm/drop_caches", "/proc/sysrq-trigger", "/sys/kernel/mm/transparent_hugepage/enabled",
        "/sys/kernel/uevent_helper" };
    char how[160] = "";
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        int fd = open(paths[i], O_WRONLY);
        if (fd < 0) continue;
        /* /proc/sys/kernel/hostname is the guest's own (UTS); the host side checks the host's. */
        ssize_t n = write(fd, "csrunsc-escape\n", 15);
        close(fd);
        if (n > 0 && i > 0) {
            e = 1;
            snprintf(how, sizeof how, "wrote %s", paths[i]);
        }
    }
    report("proc-sys-writes", e, e ? how : "no host setting written");
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: escape SECRET_NAME CANARY_PID\n");
        return 2;
    }
    secret = argv[1];
    canary = atoi(argv[2]);
    dotdot();
    symlinks();
    rename_race();
    hardlinks();
    proc_roots();
    exe_rewrite();
    fd_scan();
    devices();
    mounts();
    chroot_escape();
    processes();
    sockets();
    kernel_surfaces();
    namespaces();
    int80();
    sys_writes();
    printf("escape: %d escaped\n", escapes);
    return escapes ? 1 : 0;
}
