/* mount_flags DIR...: what a mount's noexec and nodev flags allow in each DIR: execve of a copy
 * of this program, mmap of it with PROT_EXEC, mprotect adding PROT_EXEC to a read-only mapping,
 * and open of a character device node (1:3, /dev/null's numbers) made there with mknod.
 * One line per DIR; exit 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *err(int e) { return e ? strerrorname_np(e) : "ok"; }

static int copy_self(const char *to)
{
    int in = open("/proc/self/exe", O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (in < 0 || out < 0) return errno;
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0) if (write(out, buf, n) != n) return errno;
    close(in); close(out);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--child") == 0) return 42;
    for (int i = 1; i < argc; i++) {
        char prog[256], node[256];
        snprintf(prog, sizeof prog, "%s/prog", argv[i]);
        snprintf(node, sizeof node, "%s/null", argv[i]);
        int e = copy_self(prog);
        if (e) { printf("%s: copy %s\n", argv[i], err(e)); continue; }

        int exec_result;
        pid_t pid = fork();
        if (pid == 0) { execl(prog, prog, "--child", (char *)NULL); _exit(100 + errno); }
        int status;
        waitpid(pid, &status, 0);
        exec_result = WEXITSTATUS(status) == 42 ? 0 : WEXITSTATUS(status) - 100;

        int fd = open(prog, O_RDONLY);
        void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
        int mmap_result = p == MAP_FAILED ? errno : 0;
        if (p != MAP_FAILED) munmap(p, 4096);
        p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
        int mprotect_result = p == MAP_FAILED ? -1 : (mprotect(p, 4096, PROT_READ | PROT_EXEC) == 0 ? 0 : errno);
        close(fd);

        int mknod_result = mknod(node, S_IFCHR | 0666, makedev(1, 3)) == 0 ? 0 : errno;
        int open_result = -1;
        if (mknod_result == 0) { fd = open(node, O_WRONLY); open_result = fd < 0 ? errno : 0; if (fd >= 0) close(fd); }
        printf("%s: execve %s, mmap(PROT_EXEC) %s, mprotect(+PROT_EXEC) %s, mknod %s, open(device node) %s\n",
               argv[i], err(exec_result), err(mmap_result), err(mprotect_result), err(mknod_result),
               open_result < 0 ? "-" : err(open_result));
        unlink(prog); unlink(node);
    }
    return 0;
}
