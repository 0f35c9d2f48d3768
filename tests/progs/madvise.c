/* madvise.c: the advice that changes memory or fork. DONTNEED on private anonymous, private file
 * and shared memory; DONTFORK (the child has no such range) and WIPEONFORK (the child reads zeros,
 * partly covered blocks and whole ones), REMOVE on shared anonymous memory and a /dev/shm file,
 * FREE, POPULATE_*, and the argument checks. Deterministic output; compared with runc. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096

static void check(const char *what, int r)
{
    printf("%s: %d %s\n", what, r, r < 0 ? strerror(errno) : "");
}

static char *anon(size_t len, int prot, int flags)
{
    return mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0);
}

int main(void)
{
    /* DONTNEED: private anonymous pages read back as zeros. */
    char *a = anon(4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    strcpy(a + PAGE, "private");
    check("dontneed anon", madvise(a, 4 * PAGE, MADV_DONTNEED));
    printf("anon after: '%s'\n", a + PAGE);

    /* DONTNEED: a private file mapping shows the file again. */
    int fd = open("/tmp/madvise-file", O_CREAT | O_RDWR | O_TRUNC, 0600);
    write(fd, "from the file", 13);
    char *pf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    memcpy(pf, "CHANGED", 7);
    printf("private file before: '%.13s'\n", pf);
    check("dontneed private file", madvise(pf, PAGE, MADV_DONTNEED));
    printf("private file after: '%.13s'\n", pf);

    /* DONTNEED: shared memory keeps its data. */
    char *sh = anon(PAGE, PROT_READ | PROT_WRITE, MAP_SHARED);
    strcpy(sh, "shared");
    check("dontneed shared", madvise(sh, PAGE, MADV_DONTNEED));
    printf("shared after: '%s'\n", sh);

    /* DONTFORK: the child has nothing there; DOFORK undoes it. */
    char *df = anon(2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    strcpy(df, "parent only");
    char *kept = anon(PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    strcpy(kept, "kept");
    check("dontfork", madvise(df, 2 * PAGE, MADV_DONTFORK));
    check("dontfork then dofork", madvise(kept, PAGE, MADV_DONTFORK) == 0 ? madvise(kept, PAGE, MADV_DOFORK) : -1);
    /* WIPEONFORK: a small range (sharing a 64 KiB block with others) and a large one. */
    char *w1 = anon(PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    char *w2 = anon(1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    strcpy(w1, "secret small");
    strcpy(w2 + (512 << 10), "secret large");
    check("wipeonfork small", madvise(w1, PAGE, MADV_WIPEONFORK));
    check("wipeonfork large", madvise(w2, 1 << 20, MADV_WIPEONFORK));
    char *w3 = anon(PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    strcpy(w3, "not wiped");
    check("keeponfork", madvise(w3, PAGE, MADV_WIPEONFORK) == 0 ? madvise(w3, PAGE, MADV_KEEPONFORK) : -1);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        unsigned char vec;
        check("child mincore dontfork", mincore(df, PAGE, &vec));
        printf("child kept: '%s'\n", kept);
        printf("child small: '%s' large: '%s' kept: '%s'\n", w1, w2 + (512 << 10), w3);
        strcpy(w1, "child wrote");
        printf("child small after write: '%s'\n", w1);
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("parent dontfork: '%s' small: '%s' large: '%s'\n", df, w1, w2 + (512 << 10));

    /* WIPEONFORK is for private anonymous memory only; FREE too. */
    check("wipeonfork shared", madvise(sh, PAGE, MADV_WIPEONFORK));
    check("wipeonfork file", madvise(pf, PAGE, MADV_WIPEONFORK));
    check("free private", madvise(a, PAGE, MADV_FREE));
    check("free shared", madvise(sh, PAGE, MADV_FREE));

    /* REMOVE: frees the backing of shared memory; private memory refuses. */
    check("remove private", madvise(a, PAGE, MADV_REMOVE));
    check("remove shared anon", madvise(sh, PAGE, MADV_REMOVE));
    printf("shared anon after remove: '%s'\n", sh);
    int shm = open("/dev/shm/madvise-shm", O_CREAT | O_RDWR | O_TRUNC, 0600);
    ftruncate(shm, 2 * PAGE);
    char *sf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, shm, 0);
    strcpy(sf, "first page");
    strcpy(sf + PAGE, "second page");
    check("remove shm file page", madvise(sf, PAGE, MADV_REMOVE));
    char buf[16] = { 0 };
    pread(shm, buf, 11, PAGE);
    printf("shm after remove: '%s' '%s' file page 2 '%s' size %ld\n", sf, sf + PAGE, buf, (long)lseek(shm, 0, SEEK_END));
    unlink("/dev/shm/madvise-shm");

    /* POPULATE checks the protection. */
    char *ro = anon(PAGE, PROT_READ, MAP_PRIVATE);
    char *none = anon(PAGE, PROT_NONE, MAP_PRIVATE);
    check("populate read", madvise(a, PAGE, MADV_POPULATE_READ));
    check("populate write", madvise(a, PAGE, MADV_POPULATE_WRITE));
    check("populate write read-only", madvise(ro, PAGE, MADV_POPULATE_WRITE));
    check("populate read prot none", madvise(none, PAGE, MADV_POPULATE_READ));

    /* Hints, and the argument checks. */
    check("willneed", madvise(a, PAGE, MADV_WILLNEED));
    check("sequential", madvise(a, PAGE, MADV_SEQUENTIAL));
    check("dontdump", madvise(a, PAGE, MADV_DONTDUMP));
    check("unknown advice", madvise(a, PAGE, 999));
    check("advice 5", madvise(a, PAGE, 5));
    check("unaligned", madvise(a + 1, PAGE, MADV_DONTNEED));
    check("zero length", madvise(a, 0, MADV_DONTNEED));
    check("huge length", madvise(a, (size_t)-1, MADV_DONTNEED));
    munmap(a + PAGE, PAGE);
    check("hole", madvise(a, 4 * PAGE, MADV_DONTNEED));
    check("hole dontfork", madvise(a, 4 * PAGE, MADV_DONTFORK));
    unlink("/tmp/madvise-file");
    printf("madvise: done\n");
    return 0;
}
