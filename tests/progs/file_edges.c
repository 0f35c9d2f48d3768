/* file_edges.c: file-call edges Linux answers precisely. Access mode 3 (neither read nor write),
 * O_RDONLY|O_TRUNC, O_DIRECT on a directory, rmdir/unlink of "/", pread/pwrite past the largest
 * offset, readv with a bad second iovec, epoll with no events on a hung-up pipe, and
 * fs.protected_hardlinks for a non-owner. Deterministic output; compared with runc. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static void check(const char *what, long r)
{
    printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "");
}

int main(void)
{
    mkdir("/tmp/fe", 01777);
    chmod("/tmp/fe", 01777);
    int fd = open("/tmp/fe/file", O_CREAT | O_RDWR | O_TRUNC, 0644);
    write(fd, "twelve bytes", 12);
    close(fd);

    int m3 = open("/tmp/fe/file", 3);
    check("mode 3 open", m3 >= 0 ? 0 : -1);
    char c;
    check("mode 3 read", read(m3, &c, 1));
    check("mode 3 write", write(m3, "x", 1));
    close(m3);

    int rt = open("/tmp/fe/file", O_RDONLY | O_TRUNC);
    struct stat st;
    fstat(rt, &st);
    printf("O_RDONLY|O_TRUNC size: %ld\n", (long)st.st_size);
    close(rt);

    check("O_DIRECT directory", open("/tmp/fe", O_RDONLY | O_DIRECT));
    check("rmdir /", unlinkat(AT_FDCWD, "/", AT_REMOVEDIR));
    check("unlink /", unlinkat(AT_FDCWD, "/", 0));

    fd = open("/tmp/fe/file", O_RDWR);
    char buf[64];
    check("pread past the largest offset", pread(fd, buf, sizeof buf, INT64_MAX));
    check("pwrite past the largest offset", pwrite(fd, buf, sizeof buf, INT64_MAX));
    write(fd, "some data to read back", 22);
    lseek(fd, 0, SEEK_SET);
    struct iovec iov[2] = { { buf, 8 }, { (void *)0xffff800000000000ULL, 8 } };
    check("readv bad second iovec", readv(fd, iov, 2));
    close(fd);

    int p[2];
    pipe(p);
    close(p[1]);
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = 0, .data.u64 = 7 }, out[2];
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    int n = epoll_wait(ep, out, 2, 0);
    printf("epoll no events, writer gone: %d %#x\n", n, n > 0 ? out[0].events : 0);

    /* A non-owner may not hard-link a file it cannot write. */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0) {
            printf("cannot become nobody: %s\n", strerror(errno));
            fflush(stdout);
            _exit(0);
        }
        check("non-owner link of a read-only file", link("/tmp/fe/file", "/tmp/fe/link"));
        int own = open("/tmp/fe/mine", O_CREAT | O_RDWR, 0600);
        close(own);
        check("owner link", link("/tmp/fe/mine", "/tmp/fe/mine2"));
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    unlink("/tmp/fe/mine2");
    unlink("/tmp/fe/mine");
    unlink("/tmp/fe/file");
    rmdir("/tmp/fe");
    printf("file_edges: done\n");
    return 0;
}
