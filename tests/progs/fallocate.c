/* fallocate modes and SEEK_DATA/SEEK_HOLE in DIR: mode 0 and KEEP_SIZE (size, st_blocks),
 * PUNCH_HOLE (zeros, freed pages, holes found by lseek), ZERO_RANGE/COLLAPSE_RANGE/INSERT_RANGE
 * (what the filesystem answers), the argument errors, SEEK_DATA/SEEK_HOLE on a sparse file and at
 * the end. Usage: fallocate DIR. Deterministic output; exit 0 when all checks pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

static void check(const char *what, long got, long want)
{
    if (got == want) printf("ok   %s = %ld\n", what, got);
    else { printf("FAIL %s = %ld (want %ld)\n", what, got, want); failures++; }
    fflush(stdout);
}

static long res(long r) { return r < 0 ? -errno : r; }

static void show(const char *what, long r) { printf("     %s = %ld\n", what, r); fflush(stdout); }

static long blocks(int fd)
{
    struct stat st;
    fstat(fd, &st);
    return (long)st.st_blocks;
}

static long size(int fd)
{
    struct stat st;
    fstat(fd, &st);
    return (long)st.st_size;
}

int main(int argc, char **argv)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/fallocate-test", argc > 1 ? argv[1] : "/");
    char buf[65536];
    memset(buf, 'x', sizeof(buf));
    int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

    /* errors */
    check("len 0", res(fallocate(f, 0, 0, 0)), -EINVAL);
    check("offset < 0", res(fallocate(f, 0, -1, 10)), -EINVAL);
    check("unknown mode", res(fallocate(f, 0x1000, 0, 10)), -EOPNOTSUPP);
    check("punch without keep", res(fallocate(f, FALLOC_FL_PUNCH_HOLE, 0, 10)), -EOPNOTSUPP);
    check("punch|zero", res(fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, 10)), -EOPNOTSUPP);
    check("collapse|keep", res(fallocate(f, FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096)), -EOPNOTSUPP);
    check("insert|keep", res(fallocate(f, FALLOC_FL_INSERT_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096)), -EOPNOTSUPP);
    check("overflow", res(fallocate(f, 0, 0x7fffffffffffff00LL, 0x1000)), -EFBIG);
    int ro = open(path, O_RDONLY);
    check("read-only fd", res(fallocate(ro, 0, 0, 10)), -EBADF);
    close(ro);
    int d = open(argc > 1 ? argv[1] : "/", O_RDONLY | O_DIRECTORY);
    check("directory", res(fallocate(d, 0, 0, 10)), -EBADF);
    int p[2];
    pipe(p);
    check("pipe", res(fallocate(p[1], 0, 0, 10)), -ESPIPE);

    /* mode 0 and KEEP_SIZE */
    check("allocate 64 KiB", res(fallocate(f, 0, 0, 65536)), 0);
    check("size", size(f), 65536);
    check("blocks", blocks(f) >= 128, 1);
    check("keep size beyond the end", res(fallocate(f, FALLOC_FL_KEEP_SIZE, 65536, 65536)), 0);
    check("size kept", size(f), 65536);
    check("blocks grew", blocks(f) >= 256, 1);
    check("shrink", res(ftruncate(f, 0)), 0);
    check("blocks after truncate", blocks(f), 0);

    /* a file with data, then a hole punched into it */
    check("write 256 KiB", res(pwrite(f, buf, 65536, 0)) + res(pwrite(f, buf, 65536, 65536)) +
                          res(pwrite(f, buf, 65536, 131072)) + res(pwrite(f, buf, 65536, 196608)), 262144);
    long full = blocks(f);
    check("punch 64 KiB at 64 KiB", res(fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 65536, 65536)), 0);
    check("size after punch", size(f), 262144);
    check("blocks freed", full - blocks(f) >= 128, 1);
    char c = 1;
    check("hole reads zero", res(pread(f, &c, 1, 70000)) == 1 && c == 0, 1);
    check("data kept", res(pread(f, &c, 1, 65535)) == 1 && c == 'x', 1);
    check("SEEK_DATA at 0", res(lseek(f, 0, SEEK_DATA)), 0);
    check("SEEK_HOLE at 0", res(lseek(f, 0, SEEK_HOLE)), 65536);
    check("SEEK_DATA in the hole", res(lseek(f, 70000, SEEK_DATA)), 131072);
    check("SEEK_HOLE in the hole", res(lseek(f, 70000, SEEK_HOLE)), 70000);
    check("SEEK_HOLE after the hole", res(lseek(f, 131072, SEEK_HOLE)), 262144);
    check("SEEK_DATA at the end", res(lseek(f, 262144, SEEK_DATA)), -ENXIO);
    check("SEEK_HOLE at the end", res(lseek(f, 262144, SEEK_HOLE)), -ENXIO);
    check("SEEK_DATA < 0", res(lseek(f, -1, SEEK_DATA)), -ENXIO);
    check("offset of the last success", res(lseek(f, 0, SEEK_CUR)), 262144);
    check("partial-page punch", res(fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1000, 100)), 0);
    check("partial punch zeroed", res(pread(f, &c, 1, 1050)) == 1 && c == 0, 1);
    check("partial punch keeps the page", res(lseek(f, 0, SEEK_HOLE)), 65536);
    check("punch past the end", res(fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 200000, 200000)), 0);
    check("size unchanged", size(f), 262144);
    check("SEEK_HOLE after the tail punch", res(lseek(f, 131072, SEEK_HOLE)), 200704);

    /* filesystem-specific modes: what the filesystem answers (tmpfs: EOPNOTSUPP) */
    show("zero range", res(fallocate(f, FALLOC_FL_ZERO_RANGE, 0, 4096)));
    show("collapse range", res(fallocate(f, FALLOC_FL_COLLAPSE_RANGE, 0, 65536)));
    show("size after collapse", size(f));
    show("insert range", res(fallocate(f, FALLOC_FL_INSERT_RANGE, 0, 65536)));
    show("size after insert", size(f));
    show("unaligned collapse", res(fallocate(f, FALLOC_FL_COLLAPSE_RANGE, 1, 65536)));

    close(f);
    unlink(path);
    printf("fallocate: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
