/* perms: DAC checks for an unprivileged user. Starts as the container's root to set files up in
 * /tmp/perms, then a child drops to uid 4321 / gid 1234 (setgid+setuid: no capabilities left)
 * and checks search (x) permission on every path component (0700, 0744, 0711 directories, the
 * owner's own 0600 directory, "." and ".." components, symlinks into a closed directory, chdir),
 * and set-user-id/set-group-id removal on write and truncate (file_remove_privs); root, which
 * holds CAP_FSETID, keeps them. Deterministic output; exit 0 when all checks pass. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define UID 4321
#define GID 1234

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

static long stat_of(const char *p)
{
    struct stat st;
    return res(stat(p, &st));
}

static long mode_of(const char *p)
{
    struct stat st;
    if (stat(p, &st) < 0) return -errno;
    return st.st_mode & 07777;
}

static void make_file(const char *p, mode_t mode, uid_t uid, gid_t gid)
{
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (write(fd, "data", 4) != 4) failures++;
    close(fd);
    if (chown(p, uid, gid) < 0) failures++;
    if (chmod(p, mode) < 0) failures++;
}

static void setup(void)
{
    mkdir("/tmp/perms", 0755);
    static const struct { const char *dir; mode_t mode; } dirs[] = {
        { "/tmp/perms/closed", 0700 }, { "/tmp/perms/readonly", 0744 }, { "/tmp/perms/searchonly", 0711 },
    };
    for (unsigned i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        char p[128];
        mkdir(dirs[i].dir, 0755);
        snprintf(p, sizeof(p), "%s/file", dirs[i].dir);
        make_file(p, 0644, 0, 0);
        chmod(dirs[i].dir, dirs[i].mode);
    }
    mkdir("/tmp/perms/user", 0755);
    if (chown("/tmp/perms/user", UID, GID) < 0) failures++;
    make_file("/tmp/perms/user/suid", 06755, UID, GID);
    make_file("/tmp/perms/user/suid-trunc", 06755, UID, GID);
    make_file("/tmp/perms/user/suid-ftrunc", 06755, UID, GID);
    make_file("/tmp/perms/user/sgid-nox", 02644, UID, GID);
    make_file("/tmp/perms/user/sgid-nox-other", 02664, UID, 0);
    make_file("/tmp/perms/user/suid-empty", 04755, UID, GID);
    make_file("/tmp/perms/root-suid", 04777, 0, 0);
    symlink("/tmp/perms/closed/file", "/tmp/perms/link-into-closed");
}

static void as_user(void)
{
    check("setgid", res(setgid(GID)), 0);
    check("setuid", res(setuid(UID)), 0);

    /* Search permission on each component. */
    check("stat in 0700 root dir", stat_of("/tmp/perms/closed/file"), -EACCES);
    check("open in 0700 root dir", res(open("/tmp/perms/closed/file", O_RDONLY)), -EACCES);
    check("access F_OK in 0700 root dir", res(access("/tmp/perms/closed/file", F_OK)), -EACCES);
    check("stat of missing name in 0700 dir", stat_of("/tmp/perms/closed/nothing"), -EACCES);
    check("stat of the 0700 dir itself", stat_of("/tmp/perms/closed"), 0);
    check("'.' inside 0700 dir", stat_of("/tmp/perms/closed/."), -EACCES);
    check("'..' out of 0700 dir", stat_of("/tmp/perms/closed/.."), -EACCES);
    check("symlink into 0700 dir", stat_of("/tmp/perms/link-into-closed"), -EACCES);
    check("lstat of that symlink", ({ struct stat st; res(lstat("/tmp/perms/link-into-closed", &st)); }), 0);
    check("chdir into 0700 dir", res(chdir("/tmp/perms/closed")), -EACCES);
    check("create in 0700 dir", res(open("/tmp/perms/closed/new", O_WRONLY | O_CREAT, 0644)), -EACCES);
    check("mkdir in 0700 dir", res(mkdir("/tmp/perms/closed/d", 0755)), -EACCES);
    check("unlink in 0700 dir", res(unlink("/tmp/perms/closed/file")), -EACCES);

    int d = open("/tmp/perms/readonly", O_RDONLY | O_DIRECTORY);
    check("open 0744 dir for listing", d >= 0, 1);
    DIR *dir = fdopendir(d);
    int names = 0;
    struct dirent *e;
    while (dir && (e = readdir(dir)) != NULL) names += strcmp(e->d_name, "file") == 0;
    check("list 0744 dir sees the name", names, 1);
    if (dir) closedir(dir);
    check("stat in 0744 dir", stat_of("/tmp/perms/readonly/file"), -EACCES);
    check("openat in 0744 dir", ({ int fd = open("/tmp/perms/readonly", O_RDONLY | O_DIRECTORY);
                                    long r = res(openat(fd, "file", O_RDONLY)); close(fd); r; }), -EACCES);

    check("stat in 0711 dir", stat_of("/tmp/perms/searchonly/file"), 0);
    check("read file in 0711 dir", ({ int fd = open("/tmp/perms/searchonly/file", O_RDONLY); char b[8];
                                       long r = fd < 0 ? -errno : read(fd, b, sizeof(b)); close(fd); r; }), 4);
    check("open 0711 dir for listing", res(open("/tmp/perms/searchonly", O_RDONLY | O_DIRECTORY)), -EACCES);

    /* The owner class alone decides: an owner without x is refused even if others have it. */
    check("mkdir own dir", res(mkdir("/tmp/perms/user/own", 0755)), 0);
    int fd = open("/tmp/perms/user/own/f", O_WRONLY | O_CREAT, 0644);
    check("create in own dir", fd >= 0, 1);
    close(fd);
    check("chmod own dir 0601", res(chmod("/tmp/perms/user/own", 0601)), 0);
    check("stat in own 0601 dir", stat_of("/tmp/perms/user/own/f"), -EACCES);
    check("chmod own dir back to 0700", res(chmod("/tmp/perms/user/own", 0700)), 0);
    check("stat in own 0700 dir", stat_of("/tmp/perms/user/own/f"), 0);
    check("relative walk from cwd", ({ long r = res(chdir("/tmp/perms/user/own")); if (r == 0) r = stat_of("f"); r; }), 0);
    check("chmod cwd 0600", res(chmod(".", 0600)), 0);
    check("relative stat in unsearchable cwd", stat_of("f"), -EACCES);
    check("chmod cwd back (path is the cwd)", res(chmod("/tmp/perms/user/own", 0700)), 0);

    /* Set-id bits go on write and truncate by an unprivileged writer. */
    fd = open("/tmp/perms/user/suid", O_WRONLY);
    check("suid+sgid file mode before write", mode_of("/tmp/perms/user/suid"), 06755);
    check("zero-length write", res(write(fd, "", 0)), 0);
    check("mode after zero-length write", mode_of("/tmp/perms/user/suid"), 06755);
    check("write 1 byte", res(write(fd, "x", 1)), 1);
    check("mode after write: set-ids cleared", mode_of("/tmp/perms/user/suid"), 0755);
    close(fd);
    check("truncate", res(truncate("/tmp/perms/user/suid-trunc", 1)), 0);
    check("mode after truncate", mode_of("/tmp/perms/user/suid-trunc"), 0755);
    fd = open("/tmp/perms/user/suid-ftrunc", O_WRONLY);
    check("ftruncate", res(ftruncate(fd, 2)), 0);
    check("mode after ftruncate", mode_of("/tmp/perms/user/suid-ftrunc"), 0755);
    close(fd);
    fd = open("/tmp/perms/user/sgid-nox", O_WRONLY);
    check("write to setgid file without group x, in its group", res(write(fd, "x", 1)), 1);
    check("its setgid bit stays", mode_of("/tmp/perms/user/sgid-nox"), 02644);
    close(fd);
    fd = open("/tmp/perms/user/sgid-nox-other", O_WRONLY);
    check("write to setgid file without group x, not in its group", res(write(fd, "x", 1)), 1);
    check("its setgid bit goes", mode_of("/tmp/perms/user/sgid-nox-other"), 0664);
    close(fd);
    fd = open("/tmp/perms/user/suid-empty", O_WRONLY);
    check("pwrite", res(pwrite(fd, "x", 1, 10)), 1);
    check("mode after pwrite", mode_of("/tmp/perms/user/suid-empty"), 0755);
    close(fd);
}

int main(void)
{
    setup();
    check("setup ran as root", getuid(), 0);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        as_user();
        _exit(failures);
    }
    int st;
    waitpid(p, &st, 0);
    failures += WIFEXITED(st) ? WEXITSTATUS(st) : 100;

    /* Root holds CAP_FSETID: its write keeps the bit. And root searches anything. */
    int fd = open("/tmp/perms/root-suid", O_WRONLY);
    check("root write", res(write(fd, "x", 1)), 1);
    check("root keeps set-user-id", mode_of("/tmp/perms/root-suid"), 04777);
    close(fd);
    check("root stats in 0700 dir", stat_of("/tmp/perms/closed/file"), 0);
    chmod("/tmp/perms/closed", 0);
    check("root stats in 0000 dir", stat_of("/tmp/perms/closed/file"), 0);
    printf("perms: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
