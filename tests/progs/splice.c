/* splice, tee, vmsplice, copy_file_range, sendfile and F_SETPIPE_SZ: pipe to file, file to pipe,
 * pipe to pipe, offsets, partial moves, SPLICE_F_NONBLOCK, EOF, EPIPE, the error cases, a blocked
 * splice woken by a child, copy_file_range within the rootfs and across filesystems (EXDEV).
 * Usage: splice [DIR] (default /). Deterministic output; exit 0 when all checks pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

static void check(const char *what, long got, long want)
{
    if (got == want) printf("ok   %s = %ld\n", what, got);
    else { printf("FAIL %s = %ld (want %ld)\n", what, got, want); failures++; }
    fflush(stdout);
}

static long res(long r) { return r < 0 ? -errno : r; }

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/";
    char path[256], path2[256];
    snprintf(path, sizeof(path), "%s/splice-a", dir);
    snprintf(path2, sizeof(path2), "%s/splice-b", dir);
    signal(SIGPIPE, SIG_IGN);
    char buf[8192], out[8192];
    for (int i = 0; i < (int)sizeof(buf); i++) buf[i] = (char)('a' + i % 26);

    int p[2], q[2];
    pipe(p);
    pipe(q);
    int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

    /* pipe -> file, at the file offset and at an explicit offset */
    write(p[1], buf, 100);
    check("splice pipe->file", res(splice(p[0], NULL, f, NULL, 60, 0)), 60);
    check("file offset", lseek(f, 0, SEEK_CUR), 60);
    loff_t off = 1000;
    check("splice pipe->file at offset", res(splice(p[0], NULL, f, &off, 100, 0)), 40);
    check("offset advanced", off, 1040);
    check("file offset unchanged", lseek(f, 0, SEEK_CUR), 60);
    check("file size", lseek(f, 0, SEEK_END), 1040);
    check("empty pipe NONBLOCK", res(splice(p[0], NULL, f, NULL, 10, SPLICE_F_NONBLOCK)), -EAGAIN);

    /* file -> pipe */
    off = 0;
    check("splice file->pipe", res(splice(f, &off, p[1], NULL, 50, 0)), 50);
    check("read back", res(read(p[0], out, sizeof(out))), 50);
    check("contents", memcmp(out, buf, 50) == 0, 1);
    off = 2000;
    check("file->pipe at EOF", res(splice(f, &off, p[1], NULL, 50, 0)), 0);

    /* pipe -> pipe, tee */
    write(p[1], buf, 300);
    check("tee", res(tee(p[0], q[1], 1000, 0)), 300);
    check("splice pipe->pipe", res(splice(p[0], NULL, q[1], NULL, 100, 0)), 100);
    check("q holds", res(read(q[0], out, sizeof(out))), 400);
    check("tee copy first", memcmp(out, buf, 300) == 0, 1);
    check("left in p", res(read(p[0], out, sizeof(out))), 200);

    /* errors */
    check("same pipe", res(splice(p[0], NULL, p[1], NULL, 1, 0)), -EINVAL);
    check("tee same pipe", res(tee(p[0], p[1], 1, 0)), -EINVAL);
    check("tee from file", res(tee(f, p[1], 1, 0)), -EINVAL);
    off = 0;
    check("offset on a pipe", res(splice(p[0], &off, f, NULL, 1, 0)), -ESPIPE);
    check("file to file", res(splice(f, NULL, f, NULL, 1, 0)), -EINVAL);
    check("bad flags", res(splice(p[0], NULL, f, NULL, 1, 0x100)), -EINVAL);
    check("len 0", res(splice(999, NULL, 998, NULL, 0, 0)), 0);
    check("EBADF", res(splice(999, NULL, f, NULL, 1, 0)), -EBADF);
    check("write end as input", res(splice(p[1], NULL, f, NULL, 1, 0)), -EBADF);
    write(p[1], buf, 10);
    off = 0x7ffffffffffffffeLL;
    check("offset overflow", res(splice(p[0], NULL, f, &off, 5, 0)), -EINVAL);
    read(p[0], out, sizeof(out));

    /* vmsplice both ways */
    struct iovec iov[2] = {{buf, 10}, {buf + 10, 20}};
    check("vmsplice to pipe", res(vmsplice(p[1], iov, 2, 0)), 30);
    struct iovec riov[1] = {{out, 100}};
    check("vmsplice from pipe", res(vmsplice(p[0], riov, 1, 0)), 30);
    check("vmsplice contents", memcmp(out, buf, 30) == 0, 1);
    check("vmsplice not a pipe", res(vmsplice(f, iov, 1, 0)), -EBADF);
    check("vmsplice empty NONBLOCK", res(vmsplice(p[0], riov, 1, SPLICE_F_NONBLOCK)), -EAGAIN);

    /* F_SETPIPE_SZ and a partial pipe-to-pipe move */
    check("F_SETPIPE_SZ 0", res(fcntl(q[1], F_SETPIPE_SZ, 0)), 4096);
    check("F_SETPIPE_SZ 5000", res(fcntl(q[1], F_SETPIPE_SZ, 5000)), 8192);
    check("F_GETPIPE_SZ", res(fcntl(q[1], F_GETPIPE_SZ)), 8192);
    write(q[1], buf, 4096);
    write(p[1], buf, 8192);
    check("partial move into a full-ish pipe", res(splice(p[0], NULL, q[1], NULL, 8192, 0)), 4096);
    check("F_SETPIPE_SZ busy", res(fcntl(q[1], F_SETPIPE_SZ, 4096)), -EBUSY);
    check("full pipe NONBLOCK", res(splice(p[0], NULL, q[1], NULL, 10, SPLICE_F_NONBLOCK)), -EAGAIN);
    read(q[0], out, sizeof(out));
    read(p[0], out, sizeof(out));

    /* a blocked splice woken by a child's write; then EOF when the writer closes */
    pid_t c = fork();
    if (c == 0) {
        close(p[0]);
        usleep(100000);
        write(p[1], "child", 5);
        _exit(0);
    }
    close(p[1]);
    check("blocked splice woken", res(splice(p[0], NULL, q[1], NULL, 100, 0)), 5);
    waitpid(c, NULL, 0);
    check("EOF without writers", res(splice(p[0], NULL, q[1], NULL, 100, 0)), 0);
    close(q[0]);
    int r[2];
    pipe(r);
    write(r[1], "x", 1);
    check("EPIPE without readers", res(splice(r[0], NULL, q[1], NULL, 1, 0)), -EPIPE);

    /* copy_file_range in one filesystem and across two */
    int g = open(path2, O_RDWR | O_CREAT | O_TRUNC, 0644);
    loff_t in_off = 60, out_off = 0;
    check("copy_file_range", res(copy_file_range(f, &in_off, g, &out_off, 100, 0)), 100);
    check("in_off", in_off, 160);
    check("out_off", out_off, 100);
    lseek(f, 60, SEEK_SET);
    check("copy_file_range file offsets", res(copy_file_range(f, NULL, g, NULL, 10, 0)), 10);
    check("g offset", lseek(g, 0, SEEK_CUR), 10);
    check("f offset", lseek(f, 0, SEEK_CUR), 70);
    in_off = 2000;
    check("copy_file_range past EOF", res(copy_file_range(f, &in_off, g, NULL, 10, 0)), 0);
    check("copy_file_range flags", res(copy_file_range(f, NULL, g, NULL, 10, 1)), -EINVAL);
    in_off = 0; out_off = 5;
    check("copy_file_range overlap", res(copy_file_range(f, &in_off, f, &out_off, 10, 0)), -EINVAL);
    int d = open(dir, O_RDONLY | O_DIRECTORY);
    check("copy_file_range dir", res(copy_file_range(d, NULL, g, NULL, 10, 0)), -EISDIR);
    check("sendfile from a dir", res(sendfile(g, d, NULL, 1)), -EINVAL);
    int s = open("/dev/shm/splice-c", O_RDWR | O_CREAT | O_TRUNC, 0644);
    in_off = 0;
    check("copy_file_range across filesystems", res(copy_file_range(f, &in_off, s, NULL, 10, 0)), -EXDEV);
    in_off = 0;
    check("sendfile across filesystems", res(sendfile(s, f, &in_off, 100)), 100);
    unlink("/dev/shm/splice-c");
    unlink(path);
    unlink(path2);
    printf("splice: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
