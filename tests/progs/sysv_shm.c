/* sysv_shm.c: SysV shared memory as Linux has it. A segment attached before fork is shared by
 * parent and children (a counter incremented under a semaphore by three processes ends at the
 * sum), a child's own shmat sees the parent's writes, nattch follows attach/fork/detach/exit,
 * IPC_RMID of an attached segment defers destruction (key becomes private, SHM_DEST), the last
 * detach destroys it, SHM_RDONLY faults on write, SHM_RND rounds, errors as Linux gives them.
 * Deterministic output: no ids, keys, pids or times are printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <stdlib.h>

static int failures;

static void check(int ok, const char *what)
{
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    if (!ok) failures++;
}

static void check_errno(int r, int want, const char *what)
{
    int ok = r == -1 && errno == want;
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    if (!ok) {
        printf("  got %d errno %d (%s), want errno %d\n", r, errno, strerror(errno), want);
        failures++;
    }
}

static long nattch(int id)
{
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds) != 0) return -1;
    return (long)ds.shm_nattch;
}

static sigjmp_buf jump;

static void on_segv(int sig)
{
    (void)sig;
    siglongjmp(jump, 1);
}

int main(void)
{
    key_t key = 0x5a5a0001;
    shmctl(shmget(key, 0, 0), IPC_RMID, NULL);

    int id = shmget(key, 10000, IPC_CREAT | IPC_EXCL | 0600);
    check(id >= 0, "shmget create");
    check_errno(shmget(key, 10000, IPC_CREAT | IPC_EXCL | 0600), EEXIST, "shmget IPC_EXCL on existing key");
    check(shmget(key, 0, 0) == id, "shmget existing key returns the same id");
    check_errno(shmget(key, 20000, 0), EINVAL, "shmget larger than the segment");
    check_errno(shmget(0x5a5a0099, 4096, 0), ENOENT, "shmget missing key without IPC_CREAT");
    check_errno(shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL, "shmget size 0");

    struct shmid_ds ds;
    check(shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_segsz == 10000 && (ds.shm_perm.mode & 0777) == 0600 &&
          ds.shm_nattch == 0 && ds.shm_perm.__key == key && ds.shm_perm.uid == getuid(), "IPC_STAT after create");

    long *counter = shmat(id, NULL, 0);
    check(counter != (void *)-1, "shmat");
    check(counter[0] == 0 && ((char *)counter)[9999] == 0, "new segment is zero-filled");
    check(nattch(id) == 1, "nattch 1 after shmat");

    /* /proc/sysvipc/shm lists it: key, perms, size, nattch. */
    FILE *f = fopen("/proc/sysvipc/shm", "r");
    char line[512];
    int listed = 0;
    while (f && fgets(line, sizeof line, f)) {
        long k, sid, size, cpid, lpid, n;
        char perms[16];
        if (sscanf(line, "%ld %ld %15s %ld %ld %ld %ld", &k, &sid, perms, &size, &cpid, &lpid, &n) == 7 && k == key)
            listed = printf("/proc/sysvipc/shm: perms %s size %ld nattch %ld\n", perms, size, n) > 0;
    }
    if (f) fclose(f);
    check(listed, "listed in /proc/sysvipc/shm");

    /* exec detaches: a child attaches, then execs; once the exec closed its CLOEXEC pipe, nattch is back. */
    int cpipe[2];
    pipe2(cpipe, O_CLOEXEC);
    pid_t sleeper = fork();
    if (sleeper == 0) {
        close(cpipe[0]);
        shmat(id, NULL, 0);
        execl("/bin/sleep", "sleep", "5", (char *)NULL);
        _exit(1);
    }
    close(cpipe[1]);
    char c;
    while (read(cpipe[0], &c, 1) > 0) {
    }
    close(cpipe[0]);
    check(nattch(id) == 1, "exec dropped the child's attachment");
    kill(sleeper, SIGKILL);
    waitpid(sleeper, NULL, 0);

    int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    semctl(sem, 0, SETVAL, 1);

    enum { Children = 3, Rounds = 2000 };
    for (int c = 0; c < Children; c++) {
        if (fork() == 0) {
            for (int i = 0; i < Rounds; i++) {
                struct sembuf down = {0, -1, SEM_UNDO}, up = {0, 1, SEM_UNDO};
                semop(sem, &down, 1);
                long v = counter[0];
                counter[0] = v + 1;
                semop(sem, &up, 1);
            }
            _exit(0);
        }
    }
    for (int c = 0; c < Children; c++) wait(NULL);
    check(counter[0] == Children * Rounds, "counter incremented by 3 forked children under a semaphore");
    check(nattch(id) == 1, "nattch back to 1 after the children exited");

    /* A child attaching on its own sees (and makes) the same pages. */
    strcpy((char *)counter + 4096, "from parent");
    pid_t pid = fork();
    if (pid == 0) {
        char *own = shmat(id, NULL, SHM_RDONLY);
        int ok = own != (void *)-1 && strcmp(own + 4096, "from parent") == 0 && nattch(id) == 3;
        strcpy((char *)counter + 8192, "from child");
        shmdt(own);
        _exit(ok ? 0 : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child's own SHM_RDONLY attach sees the parent's data (nattch 3)");
    check(strcmp((char *)counter + 8192, "from child") == 0, "parent sees the child's write through the inherited attach");

    /* Second attachment in the same process at another address, same pages. */
    char *second = shmat(id, NULL, 0);
    check(second != (void *)-1 && second != (char *)counter && strcmp(second + 4096, "from parent") == 0, "second attach shares the pages");
    check(nattch(id) == 2, "nattch 2 with two attachments");
    second[100] = 'x';
    check(((char *)counter)[100] == 'x', "a write through one attach shows through the other");

    /* SHM_RDONLY: writing faults. */
    char *ro = shmat(id, NULL, SHM_RDONLY);
    struct sigaction sa = {0};
    sa.sa_handler = on_segv;
    sigaction(SIGSEGV, &sa, NULL);
    int faulted = 0;
    if (sigsetjmp(jump, 1) == 0) {
        ((volatile char *)ro)[0] = 1;
    } else {
        faulted = 1;
    }
    check(faulted, "write to a SHM_RDONLY attach raises SIGSEGV");
    check(shmdt(ro) == 0, "shmdt of the read-only attach");

    /* Detach errors and a detach of an address in the middle. */
    check_errno(shmdt(second + 4096), EINVAL, "shmdt of an address that is not an attach start");
    check_errno(shmdt(second + 1), EINVAL, "shmdt of an unaligned address");
    check(shmdt(second) == 0 && nattch(id) == 1, "shmdt drops nattch");
    check_errno(shmdt(second), EINVAL, "shmdt twice");

    /* Fixed address, SHM_RND, overlapping without SHM_REMAP. */
    char *area = mmap(NULL, 1 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(area, 1 << 20);
    char *at = shmat(id, area + 123, SHM_RND);
    check(at == area, "SHM_RND rounds the address down");
    check_errno(shmat(id, area + 123, 0) == (void *)-1 ? -1 : 0, EINVAL, "unaligned address without SHM_RND");
    check_errno(shmat(id, area, 0) == (void *)-1 ? -1 : 0, EINVAL, "address in use without SHM_REMAP");
    check(shmat(id, area, SHM_REMAP) == area, "SHM_REMAP replaces the mapping");
    check(nattch(id) == 2, "nattch 2 after the remap (the replaced attach went)");
    shmdt(at);

    /* IPC_SET changes mode and keeps the owner. */
    check(shmctl(id, IPC_STAT, &ds) == 0, "IPC_STAT");
    ds.shm_perm.mode = 0640;
    check(shmctl(id, IPC_SET, &ds) == 0 && shmctl(id, IPC_STAT, &ds) == 0 && (ds.shm_perm.mode & 0777) == 0640, "IPC_SET mode");

    /* IPC_RMID while attached: deferred, key gone, still attachable by id. */
    check(shmctl(id, IPC_RMID, NULL) == 0, "IPC_RMID while attached");
    check(shmctl(id, IPC_STAT, &ds) == 0 && (ds.shm_perm.mode & SHM_DEST) && ds.shm_perm.__key == IPC_PRIVATE, "removed segment is SHM_DEST with a private key");
    check_errno(shmget(key, 0, 0), ENOENT, "key no longer found");
    check(counter[0] == Children * Rounds, "data still there after IPC_RMID");
    check(shmdt(counter) == 0, "last shmdt");
    check_errno(shmctl(id, IPC_STAT, &ds), EINVAL, "segment destroyed on the last detach");

    /* exit detaches: a segment removed while only a child holds it dies with the child. */
    int id2 = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    pid = fork();
    if (pid == 0) {
        shmat(id2, NULL, 0);
        shmctl(id2, IPC_RMID, NULL);
        _exit(nattch(id2) == 1 ? 0 : 1);
    }
    waitpid(pid, &status, 0);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child attached and removed");
    check_errno(shmctl(id2, IPC_STAT, &ds), EINVAL, "the child's exit destroyed the segment");

    struct shminfo info;
    check(shmctl(0, IPC_INFO, (struct shmid_ds *)&info) >= 0 && info.shmmni == 4096 && info.shmmin == 1, "IPC_INFO limits");
    check_errno(shmctl(id, 99, &ds), EINVAL, "unknown command");
    check_errno(shmat(-1, NULL, 0) == (void *)-1 ? -1 : 0, EINVAL, "shmat of a bad id");

    semctl(sem, 0, IPC_RMID);
    printf("sysv_shm: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures != 0;
}
