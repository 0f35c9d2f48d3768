/* Two processes race open(O_CREAT) (no O_EXCL) of the same new rootfs file, then share it with
 * MAP_SHARED: neither may see EEXIST, and a write through one mapping must be visible through the
 * other (SQLite's -shm wal-index depends on both). Prints counts; exit 0 when all rounds pass. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int open_map(const char *name, volatile unsigned *(*map)) {
    int fd = open(name, O_RDWR | O_CREAT, 0644);
    if (fd < 0) return -errno;
    if (ftruncate(fd, 4096) < 0) return -errno;
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return -errno;
    *map = p;
    return 0;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "/";
    int rounds = 200, failedOpen = 0, incoherent = 0;
    char name[256];
    for (int i = 0; i < rounds; i++) {
        snprintf(name, sizeof name, "%s/race-%d", dir, i);
        int go[2], back[2];
        if (pipe(go) < 0 || pipe(back) < 0) { perror("pipe"); return 2; }
        pid_t child = fork();
        if (child == 0) {
            char c;
            volatile unsigned *m = 0;
            if (read(go[0], &c, 1) != 1) _exit(3);
            int r = open_map(name, &m);
            if (r < 0) { c = 'E'; write(back[1], &c, 1); _exit(1); }
            m[1] = 0xC0FFEE00u + (unsigned)i;            /* the child's word */
            c = 'k'; write(back[1], &c, 1);
            while (m[0] != 0xBEEF0000u + (unsigned)i) usleep(100); /* wait for the parent's word */
            _exit(0);
        }
        volatile unsigned *m = 0;
        char c = 'g';
        write(go[1], &c, 1);
        int r = open_map(name, &m);
        if (r < 0) failedOpen++;
        if (read(back[0], &c, 1) != 1 || c == 'E') failedOpen++;
        if (r == 0) {
            m[0] = 0xBEEF0000u + (unsigned)i;
            int seen = 0;
            for (int w = 0; w < 200 && !seen; w++) { if (m[1] == 0xC0FFEE00u + (unsigned)i) seen = 1; else usleep(100); }
            if (!seen) { incoherent++; kill(child, 9); }
            munmap((void *)m, 4096);
        } else {
            kill(child, 9);
        }
        int st;
        waitpid(child, &st, 0);
        if (r == 0 && WIFEXITED(st) && WEXITSTATUS(st) != 0) failedOpen++;
        unlink(name);
        close(go[0]); close(go[1]); close(back[0]); close(back[1]);
    }
    printf("create_race: %d rounds, failed opens %d, incoherent mappings %d\n", rounds, failedOpen, incoherent);

    /* A mapped file stays one file when its directory has more names than a cache holds: map
     * f0, create 1,100 more names beside it, then a child opens f0 by name and writes. */
    char d[256];
    snprintf(d, sizeof d, "%s/race-dir", dir);
    mkdir(d, 0755);
    snprintf(name, sizeof name, "%s/f0", d);
    volatile unsigned *m = 0;
    int bigOk = open_map(name, &m) == 0;
    for (int i = 1; i <= 1100 && bigOk; i++) {
        char other[300];
        snprintf(other, sizeof other, "%s/f%d", d, i);
        int fd = open(other, O_RDWR | O_CREAT, 0644);
        if (fd < 0) bigOk = 0; else close(fd);
    }
    if (bigOk) {
        pid_t child = fork();
        if (child == 0) {
            volatile unsigned *cm = 0;
            if (open_map(name, &cm) < 0) _exit(1);
            cm[2] = 0xF00Du;
            _exit(0);
        }
        int st;
        waitpid(child, &st, 0);
        bigOk = WIFEXITED(st) && WEXITSTATUS(st) == 0 && m[2] == 0xF00Du;
    }
    for (int i = 0; i <= 1100; i++) {
        char other[300];
        snprintf(other, sizeof other, "%s/f%d", d, i);
        unlink(other);
    }
    rmdir(d);
    printf("create_race: mapping shared past a full directory cache: %s\n", bigOk ? "yes" : "no");
    return failedOpen || incoherent || !bigOk;
}
