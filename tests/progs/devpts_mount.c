/* devpts_mount: a devpts instance of the container's own, as programs wanting private ptys make it:
 * mount(2) -t devpts -o newinstance,... over a directory (modes of its root, ptmx and a new node, the
 * first index 0), two mounts stacked on one directory, umount2's EBUSY while a pty is open, EINVAL
 * off a mount root and for bad flags or options, MNT_DETACH with the pty still usable. Without
 * CAP_SYS_ADMIN (argv[1] == "nocap"): EPERM. One line per check; deterministic. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int failures;

static void check(const char *name, int ok, const char *detail)
{
    printf("%s: %s%s%s\n", name, ok ? "ok" : "FAIL", detail && *detail ? " " : "", detail ? detail : "");
    if (!ok) failures++;
    fflush(stdout);
}

static const char *err(int r) { return r == 0 ? "0" : strerror(errno); }

int main(int argc, char **argv)
{
    char d[256];
    mkdir("/tmp/pts2", 0755);
    if (argc > 1 && !strcmp(argv[1], "nocap")) {
        int r = mount("devpts", "/tmp/pts2", "devpts", 0, "newinstance");
        check("mount devpts without CAP_SYS_ADMIN", r < 0 && errno == EPERM, err(r));
        r = umount2("/dev/pts", 0);
        check("umount2 without CAP_SYS_ADMIN", r < 0 && errno == EPERM, err(r));
        printf("devpts_mount: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
        return failures != 0;
    }

    int r = mount("devpts", "/tmp/pts2", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620");
    check("mount devpts newinstance", r == 0, err(r));
    struct stat st;
    stat("/tmp/pts2", &st);
    snprintf(d, sizeof d, "%o", st.st_mode);
    check("its root", st.st_mode == (S_IFDIR | 0755), d);
    r = stat("/tmp/pts2/ptmx", &st);
    snprintf(d, sizeof d, "%s %o %u:%u", err(r), st.st_mode, major(st.st_rdev), minor(st.st_rdev));
    check("its ptmx", r == 0 && st.st_mode == (S_IFCHR | 0666) && st.st_rdev == makedev(5, 2), d);

    int m = open("/tmp/pts2/ptmx", O_RDWR | O_NOCTTY);
    int n = -1, unlock = 0;
    ioctl(m, TIOCGPTN, &n);
    ioctl(m, TIOCSPTLCK, &unlock);
    snprintf(d, sizeof d, "master=%s index=%d", m < 0 ? strerror(errno) : "opened", n);
    check("a pty of the new instance starts at index 0", m >= 0 && n == 0, d);
    char path[64];
    snprintf(path, sizeof path, "/tmp/pts2/%d", n);
    r = stat(path, &st);
    snprintf(d, sizeof d, "%s %o", err(r), st.st_mode);
    check("its node has mode=", r == 0 && st.st_mode == (S_IFCHR | 0620), d);
    int s = open(path, O_RDWR | O_NOCTTY);
    (void)!write(m, "hi\n", 3);
    char buf[16] = {0};
    ssize_t got = read(s, buf, sizeof buf - 1);
    check("master to replica", got == 3 && !strcmp(buf, "hi\n"), "");

    r = umount2("/tmp/pts2", 0);
    check("umount2 while a pty is open", r < 0 && errno == EBUSY, err(r));
    r = umount2("/tmp", 0);
    check("umount2 off a mount root", r < 0 && errno == EINVAL, err(r));
    r = umount2("/tmp/pts2", 0x100);
    check("umount2 with an unknown flag", r < 0 && errno == EINVAL, err(r));
    r = mount("devpts", "/tmp/pts2", "devpts", 0, "newinstance,bogus=1");
    check("a devpts option it does not know", r < 0 && errno == EINVAL, err(r));
    r = mount("devpts", "/tmp/nonexistent", "devpts", 0, "newinstance");
    check("mount on a missing directory", r < 0 && errno == ENOENT, err(r));
    close(s);
    close(m);
    r = umount2("/tmp/pts2", 0);
    check("umount2 once closed", r == 0, err(r));
    r = stat("/tmp/pts2/ptmx", &st);
    check("the directory is itself again", r < 0 && errno == ENOENT, err(r));

    /* Two instances stacked on one directory: the top one is seen until it goes. */
    mount("devpts", "/tmp/pts2", "devpts", 0, "newinstance,ptmxmode=0600");
    mount("devpts", "/tmp/pts2", "devpts", 0, "newinstance,ptmxmode=0666");
    stat("/tmp/pts2/ptmx", &st);
    snprintf(d, sizeof d, "%o", st.st_mode & 07777);
    check("the second mount covers the first", (st.st_mode & 07777) == 0666, d);
    r = umount2("/tmp/pts2", 0);
    stat("/tmp/pts2/ptmx", &st);
    snprintf(d, sizeof d, "%s %o", err(r), st.st_mode & 07777);
    check("unmounting it shows the first again", r == 0 && (st.st_mode & 07777) == 0600, d);
    r = umount2("/tmp/pts2", 0);
    check("and then that one goes", r == 0, err(r));

    /* MNT_DETACH while a pty is open: gone from the tree, the pty still works. */
    mount("devpts", "/tmp/pts2", "devpts", 0, "newinstance,ptmxmode=0666");
    m = open("/tmp/pts2/ptmx", O_RDWR | O_NOCTTY);
    ioctl(m, TIOCSPTLCK, &unlock);
    r = umount2("/tmp/pts2", MNT_DETACH);
    int gone = stat("/tmp/pts2/ptmx", &st) < 0 && errno == ENOENT;
    snprintf(d, sizeof d, "%s gone=%d", err(r), gone);
    check("umount2 MNT_DETACH while open", r == 0 && gone, d);
    s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    (void)!write(m, "ok\n", 3);
    memset(buf, 0, sizeof buf);
    got = s < 0 ? -1 : read(s, buf, sizeof buf - 1);
    check("its pty still works", got == 3 && !strcmp(buf, "ok\n"), s < 0 ? strerror(errno) : "");
    printf("devpts_mount: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures != 0;
}
