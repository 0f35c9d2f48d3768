/* memfd: memfd_create and file seals as Linux has them - flags (MFD_CLOEXEC, MFD_ALLOW_SEALING,
 * invalid flags and names), the file (mode, size, /proc/self/fd link, shared with a forked child,
 * shared mmap coherent with read/write), F_GET_SEALS/F_ADD_SEALS (F_SEAL_SEAL, SHRINK, GROW,
 * WRITE, FUTURE_WRITE) enforced on write, pwrite, ftruncate, fallocate and mmap, EBUSY for
 * F_SEAL_WRITE over a writable shared mapping, seals of tmpfs and rootfs files; O_TMPFILE on
 * tmpfs, linked through /proc/self/fd (a magic link).
 * Deterministic output; exit 0 when all checks pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

static long mapped(void *p) { return p == MAP_FAILED ? -errno : 0; }

int main(void)
{
    /* Creation. */
    int fd = memfd_create("test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    check("memfd_create", fd >= 0, 1);
    check("MFD_CLOEXEC", res(fcntl(fd, F_GETFD)), FD_CLOEXEC);
    check("O_RDWR", res(fcntl(fd, F_GETFL)) & O_ACCMODE, O_RDWR);
    struct stat st;
    fstat(fd, &st);
    check("mode", st.st_mode, 0100777);
    check("size", st.st_size, 0);
    char link[64], path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, link, sizeof(link) - 1);
    link[n > 0 ? n : 0] = 0;
    check("fd link is /memfd:test (deleted)", strcmp(link, "/memfd:test (deleted)") == 0, 1);
    check("no MFD_CLOEXEC", ({ int f = memfd_create("x", 0); long r = res(fcntl(f, F_GETFD)); close(f); r; }), 0);
    check("unknown flag", res(memfd_create("x", 0x100)), -EINVAL);
    char longname[300];
    memset(longname, 'n', sizeof(longname));
    longname[249] = 0;
    check("name of 249 bytes", ({ int f = memfd_create(longname, 0); close(f); f >= 0; }), 1);
    longname[249] = 'n';
    longname[250] = 0;
    check("name of 250 bytes", res(memfd_create(longname, 0)), -EINVAL);
    check("bad name pointer", res(memfd_create((const char *)8, 0)), -EFAULT);

    /* Contents: read/write, shared mapping, fork. */
    check("write", res(write(fd, "hello", 5)), 5);
    char buf[16] = { 0 };
    check("pread", res(pread(fd, buf, sizeof(buf), 0)), 5);
    check("contents", strcmp(buf, "hello") == 0, 1);
    check("ftruncate 8192", res(ftruncate(fd, 8192)), 0);
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    check("mmap shared rw", mapped(m), 0);
    memcpy(m + 100, "mapped", 6);
    memset(buf, 0, sizeof(buf));
    pread(fd, buf, 6, 100);
    check("write through mapping seen by read", strcmp(buf, "mapped") == 0, 1);
    pwrite(fd, "WRITE", 5, 200);
    check("pwrite seen through mapping", memcmp(m + 200, "WRITE", 5) == 0, 1);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        char b[8] = { 0 };
        pread(fd, b, 5, 0);
        _exit(strcmp(b, "hello") == 0 ? 0 : 1);
    }
    int status;
    waitpid(p, &status, 0);
    check("forked child reads it", WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);

    /* F_SEAL_WRITE. */
    check("seals of a new sealable memfd", res(fcntl(fd, F_GET_SEALS)), 0);
    check("F_SEAL_WRITE over a writable shared mapping", res(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)), -EBUSY);
    munmap(m, 8192);
    check("F_SEAL_WRITE after munmap", res(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)), 0);
    check("seals", res(fcntl(fd, F_GET_SEALS)), F_SEAL_WRITE);
    check("write when write-sealed", res(write(fd, "x", 1)), -EPERM);
    check("pwrite when write-sealed", res(pwrite(fd, "x", 1, 0)), -EPERM);
    check("mmap shared rw when write-sealed", mapped(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)), -EPERM);
    m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    check("mmap shared ro when write-sealed", mapped(m), 0);
    check("read through ro mapping", memcmp(m, "hello", 5) == 0, 1);
    munmap(m, 4096);
    m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    check("mmap private rw when write-sealed", mapped(m), 0);
    munmap(m, 4096);
    check("shrink allowed without F_SEAL_SHRINK", res(ftruncate(fd, 4096)), 0);
    check("grow allowed without F_SEAL_GROW", res(ftruncate(fd, 8192)), 0);
    close(fd);

    /* F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_SEAL. */
    fd = memfd_create("sizes", MFD_ALLOW_SEALING);
    ftruncate(fd, 8192);
    check("F_SEAL_SHRINK", res(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK)), 0);
    check("shrink when shrink-sealed", res(ftruncate(fd, 4096)), -EPERM);
    check("grow when shrink-sealed", res(ftruncate(fd, 12288)), 0);
    check("F_SEAL_GROW", res(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW)), 0);
    check("grow when grow-sealed", res(ftruncate(fd, 16384)), -EPERM);
    check("same size when sealed", res(ftruncate(fd, 12288)), 0);
    check("write inside the size", res(pwrite(fd, "abc", 3, 100)), 3);
    check("write past the end", res(pwrite(fd, "abc", 3, 12288)), -EPERM);
    char big[100];
    memset(big, 'z', sizeof(big));
    check("write across the end: the part below is written", res(pwrite(fd, big, sizeof(big), 12250)), 38);
    check("fallocate past the end", res(fallocate(fd, 0, 12000, 4096)), -EPERM);
    fstat(fd, &st);
    check("size unchanged", st.st_size, 12288);
    check("unknown seal bit", res(fcntl(fd, F_ADD_SEALS, 0x1000)), -EINVAL);
    check("F_SEAL_SEAL", res(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL)), 0);
    check("seals", res(fcntl(fd, F_GET_SEALS)), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
    check("add after F_SEAL_SEAL", res(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)), -EPERM);
    check("add nothing after F_SEAL_SEAL", res(fcntl(fd, F_ADD_SEALS, 0)), -EPERM);
    close(fd);

    /* F_SEAL_FUTURE_WRITE: existing mappings stay writable. */
    fd = memfd_create("future", MFD_ALLOW_SEALING);
    ftruncate(fd, 4096);
    m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    check("F_SEAL_FUTURE_WRITE with a writable mapping", res(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE)), 0);
    check("write when future-write-sealed", res(write(fd, "x", 1)), -EPERM);
    memcpy(m, "still", 5);
    memset(buf, 0, sizeof(buf));
    pread(fd, buf, 5, 0);
    check("old mapping still writes", strcmp(buf, "still") == 0, 1);
    check("new shared rw mapping", mapped(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)), -EPERM);
    munmap(m, 4096);
    close(fd);

    /* Without MFD_ALLOW_SEALING, and other files. */
    fd = memfd_create("nosealing", 0);
    check("seals without MFD_ALLOW_SEALING", res(fcntl(fd, F_GET_SEALS)), F_SEAL_SEAL);
    check("add without MFD_ALLOW_SEALING", res(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)), -EPERM);
    close(fd);
    fd = open("/dev/shm/memfd-test", O_RDWR | O_CREAT, 0644);
    check("seals of a tmpfs file", res(fcntl(fd, F_GET_SEALS)), F_SEAL_SEAL);
    check("add to a tmpfs file", res(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)), -EPERM);
    close(fd);
    unlink("/dev/shm/memfd-test");
    fd = open("/tmp/memfd-test", O_RDWR | O_CREAT, 0644);
    check("seals of a rootfs file", res(fcntl(fd, F_GET_SEALS)), -EINVAL);
    check("add to a rootfs file", res(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)), -EINVAL);
    close(fd);
    fd = open("/tmp/memfd-test", O_RDONLY);
    check("add via a read-only fd", res(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)), -EPERM);
    close(fd);
    unlink("/tmp/memfd-test");

    /* O_TMPFILE on tmpfs: an unnamed file, given a name through /proc/self/fd. */
    fd = open("/dev/shm", O_TMPFILE | O_RDWR, 0640);
    check("O_TMPFILE", fd >= 0, 1);
    fstat(fd, &st);
    check("O_TMPFILE mode", st.st_mode, 0100640 & ~022);
    check("O_TMPFILE nlink", st.st_nlink, 0);
    check("O_TMPFILE write", res(write(fd, "tmp", 3)), 3);
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    n = readlink(path, link, sizeof(link) - 1);
    link[n > 0 ? n : 0] = 0;
    check("O_TMPFILE link names the directory", strncmp(link, "/dev/shm/#", 10) == 0, 1);
    check("O_TMPFILE link says deleted", n > 10 && strcmp(link + n - 10, " (deleted)") == 0, 1);
    check("linkat through /proc/self/fd", res(linkat(AT_FDCWD, path, AT_FDCWD, "/dev/shm/named", AT_SYMLINK_FOLLOW)), 0);
    check("named file size", ({ struct stat s2; stat("/dev/shm/named", &s2) < 0 ? -errno : s2.st_size; }), 3);
    check("named file nlink", ({ struct stat s2; stat("/dev/shm/named", &s2) < 0 ? -errno : (long)s2.st_nlink; }), 1);
    check("a second name (it has one now)", res(linkat(AT_FDCWD, path, AT_FDCWD, "/dev/shm/named2", AT_SYMLINK_FOLLOW)), 0);
    unlink("/dev/shm/named");
    unlink("/dev/shm/named2");
    close(fd);
    fd = open("/dev/shm", O_TMPFILE | O_RDWR | O_EXCL, 0600);
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    check("O_TMPFILE|O_EXCL is not linkable", res(linkat(AT_FDCWD, path, AT_FDCWD, "/dev/shm/named", AT_SYMLINK_FOLLOW)), -ENOENT);
    close(fd);
    check("O_TMPFILE read-only", res(open("/dev/shm", O_TMPFILE | O_RDONLY, 0600)), -EINVAL);
    check("O_TMPFILE with O_CREAT", res(open("/dev/shm", O_TMPFILE | O_CREAT | O_RDWR, 0600)), -EINVAL);
    fd = open("/dev/shm/plain", O_RDWR | O_CREAT, 0600);
    close(fd);
    check("O_TMPFILE on a file", res(open("/dev/shm/plain", O_TMPFILE | O_RDWR, 0600)), -ENOTDIR);
    unlink("/dev/shm/plain");

    printf("memfd: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
