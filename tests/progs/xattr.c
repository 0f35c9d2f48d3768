/* Extended attributes in DIR (tmpfs: /dev/shm): user.* on files and directories (set, get, size
 * queries, XATTR_CREATE/REPLACE, empty values, list order, remove, ERANGE/E2BIG/EINVAL/EOPNOTSUPP,
 * symlinks and fifos refusing user.*, l* vs follow, f* on an fd and EBADF on O_PATH), trusted.*
 * and security.* for root, and as uid 65534 (argument "user": EACCES without read/write
 * permission, trusted.* hidden and refused, sticky directories owner-only). Deterministic output. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static void show(const char *what, long r)
{
    if (r < 0) printf("%s: -1 %s\n", what, strerror(errno));
    else printf("%s: %ld\n", what, r);
}

static void list(const char *what, const char *path, int follow)
{
    char buf[1024];
    ssize_t n = follow ? listxattr(path, buf, sizeof buf) : llistxattr(path, buf, sizeof buf);
    if (n < 0) {
        printf("%s: -1 %s\n", what, strerror(errno));
        return;
    }
    printf("%s: %zd [", what, n);
    for (ssize_t i = 0; i < n; i += strlen(buf + i) + 1) printf("%s%s", i ? " " : "", buf + i);
    printf("]\n");
}

static void get(const char *what, const char *path, const char *name)
{
    char buf[256];
    ssize_t n = getxattr(path, name, buf, sizeof buf - 1);
    if (n < 0) {
        printf("%s: -1 %s\n", what, strerror(errno));
        return;
    }
    buf[n] = 0;
    printf("%s: %zd \"%s\"\n", what, n, buf);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *dir = argc > 1 ? argv[1] : "/dev/shm";
    int as_user = argc > 2 && !strcmp(argv[2], "user");
    char f[256], d[256], l[256], p[256], big[70000];
    snprintf(f, sizeof f, "%s/xattr.file", dir);
    snprintf(d, sizeof d, "%s/xattr.dir", dir);
    snprintf(l, sizeof l, "%s/xattr.link", dir);
    snprintf(p, sizeof p, "%s/xattr.fifo", dir);
    unlink(f); rmdir(d); unlink(l); unlink(p);
    close(open(f, O_CREAT | O_WRONLY, 0644));
    mkdir(d, 0755);
    symlink("xattr.file", l);
    mkfifo(p, 0644);

    if (as_user) {
        /* root made them; a sticky world-writable directory and a world-writable file for uid 65534. */
        chmod(d, 01777);
        chmod(f, 0666);
        setxattr(f, "user.root", "r", 1, 0);
        setxattr(f, "trusted.root", "t", 1, 0);
        char g[256];
        snprintf(g, sizeof g, "%s/xattr.private", dir);
        unlink(g);
        close(open(g, O_CREAT | O_WRONLY, 0600));
        setxattr(g, "user.p", "p", 1, 0);
        if (setgid(65534) || setuid(65534)) { printf("setuid: %s\n", strerror(errno)); return 1; }
        show("user set on a 0666 file", setxattr(f, "user.mine", "m", 1, 0));
        list("list hides trusted.*", f, 1);
        get("get trusted.* unprivileged", f, "trusted.root");
        show("set trusted.* unprivileged", setxattr(f, "trusted.x", "x", 1, 0));
        show("set security.* unprivileged", setxattr(f, "security.x", "x", 1, 0));
        get("get on a 0600 file of root", g, "user.p");
        show("set on a 0600 file of root", setxattr(g, "user.q", "q", 1, 0));
        show("list on a 0600 file of root", listxattr(g, NULL, 0));
        show("set on a sticky directory of root", setxattr(d, "user.s", "s", 1, 0));
        show("remove on a 0600 file of root", removexattr(g, "user.p"));
        unlink(g);
        return 0;
    }

    show("set user.b", setxattr(f, "user.b", "bee", 3, 0));
    show("set user.a", setxattr(f, "user.a", "a", 1, 0));
    show("set user.empty (empty value)", setxattr(f, "user.empty", "", 0, 0));
    list("list", f, 1);
    show("list size query", listxattr(f, NULL, 0));
    char small[3];
    show("list into 3 bytes", listxattr(f, small, sizeof small));
    get("get user.b", f, "user.b");
    get("get user.empty", f, "user.empty");
    show("get size query", getxattr(f, "user.b", NULL, 0));
    show("get into 2 bytes", getxattr(f, "user.b", small, 2));
    get("get missing", f, "user.none");
    show("create existing", setxattr(f, "user.a", "x", 1, XATTR_CREATE));
    show("replace missing", setxattr(f, "user.none", "x", 1, XATTR_REPLACE));
    show("replace existing", setxattr(f, "user.a", "AA", 2, XATTR_REPLACE));
    get("get replaced", f, "user.a");
    show("bad flags", setxattr(f, "user.a", "x", 1, 4));
    show("empty name", setxattr(f, "", "x", 1, 0));
    memset(big, 'n', 300);
    memcpy(big, "user.", 5);
    big[300] = 0;
    show("name of 300 bytes", setxattr(f, big, "x", 1, 0));
    show("value of 65537 bytes", setxattr(f, "user.big", big, 65537, 0));
    memset(big, 'v', 65536);
    show("value of 65536 bytes", setxattr(f, "user.big", big, 65536, 0));
    show("get it back", getxattr(f, "user.big", big, sizeof big));
    show("remove it", removexattr(f, "user.big"));
    show("unknown namespace", setxattr(f, "other.x", "x", 1, 0));
    show("empty suffix", setxattr(f, "user.", "x", 1, 0));
    show("remove user.b", removexattr(f, "user.b"));
    show("remove again", removexattr(f, "user.b"));
    list("list after remove", f, 1);

    show("dir set", setxattr(d, "user.d", "dir", 3, 0));
    get("dir get", d, "user.d");
    show("symlink lsetxattr user.*", lsetxattr(l, "user.l", "x", 1, 0));
    get("symlink lgetxattr user.*", l, "user.l");
    show("symlink setxattr follows", setxattr(l, "user.via", "link", 4, 0));
    get("target has it", f, "user.via");
    list("llistxattr on the link", l, 0);
    show("symlink trusted.*", lsetxattr(l, "trusted.l", "t", 1, 0));
    char lv[8];
    show("symlink lgetxattr trusted.*", lgetxattr(l, "trusted.l", lv, sizeof lv));
    show("fifo user.*", setxattr(p, "user.p", "x", 1, 0));
    show("set trusted.t", setxattr(f, "trusted.t", "tt", 2, 0));
    show("set security.s", setxattr(f, "security.s", "ss", 2, 0));
    list("list with trusted and security", f, 1);

    int fd = open(f, O_RDONLY);
    show("fsetxattr", fsetxattr(fd, "user.fd", "fd", 2, 0));
    char fv[8];
    show("fgetxattr", fgetxattr(fd, "user.fd", fv, sizeof fv));
    show("flistxattr size", flistxattr(fd, NULL, 0));
    show("fremovexattr", fremovexattr(fd, "user.fd"));
    close(fd);
    int op = open(f, O_PATH);
    show("fgetxattr on O_PATH", fgetxattr(op, "user.a", fv, sizeof fv));
    close(op);
    struct stat before, after;
    stat(f, &before);
    usleep(20000);
    setxattr(f, "user.time", "t", 1, 0);
    stat(f, &after);
    printf("ctime moved: %d\n", after.st_ctim.tv_sec > before.st_ctim.tv_sec ||
           (after.st_ctim.tv_sec == before.st_ctim.tv_sec && after.st_ctim.tv_nsec > before.st_ctim.tv_nsec));
    get("missing file", "/nonexistent/x", "user.a");
    unlink(f); rmdir(d); unlink(l); unlink(p);
    return 0;
}
