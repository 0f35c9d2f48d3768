/* sysv_sem.c: SysV semaphores as Linux has them: atomic multi-operation semop (all or nothing),
 * blocking waits woken by another process (semncnt/semzcnt count the sleepers), IPC_NOWAIT,
 * semtimedop timing out with EAGAIN, a signal ending a wait with EINTR even with SA_RESTART,
 * EIDRM for a waiter when the set is removed, SEM_UNDO applied when a process exits (and
 * cleared by SETVAL), GETALL/SETALL/GETPID, limits and errors.
 * Deterministic output: no ids, keys, pids or times are printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
    struct seminfo *__buf;
};

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

/* Waits (polling) until cmd (GETNCNT/GETZCNT) of sem reaches want: the other process sleeps. */
static int wait_count(int id, int sem, int cmd, int want)
{
    for (int i = 0; i < 5000; i++) {
        if (semctl(id, sem, cmd) == want) return 1;
        usleep(1000);
    }
    return 0;
}

static int exit_code(pid_t pid)
{
    int status;
    if (waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void on_usr1(int sig)
{
    (void)sig;
}

int main(void)
{
    key_t key = 0x5a5a0002;
    semctl(semget(key, 0, 0), 0, IPC_RMID);

    check_errno(semget(key, 3, 0600), ENOENT, "semget missing key");
    check_errno(semget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL, "semget nsems 0");
    check_errno(semget(IPC_PRIVATE, 32001, IPC_CREAT | 0600), EINVAL, "semget nsems over SEMMSL");
    int id = semget(key, 3, IPC_CREAT | IPC_EXCL | 0600);
    check(id >= 0, "semget create");
    check(semget(key, 2, 0) == id, "semget existing with fewer nsems");
    check_errno(semget(key, 4, 0), EINVAL, "semget existing with more nsems");
    check_errno(semget(key, 3, IPC_CREAT | IPC_EXCL), EEXIST, "semget IPC_EXCL");

    struct semid_ds ds;
    union semun arg = {.buf = &ds};
    check(semctl(id, 0, IPC_STAT, arg) == 0 && ds.sem_nsems == 3 && (ds.sem_perm.mode & 0777) == 0600, "IPC_STAT");

    unsigned short vals[3] = {1, 2, 3}, got[3];
    arg.array = vals;
    check(semctl(id, 0, SETALL, arg) == 0, "SETALL");
    arg.array = got;
    check(semctl(id, 0, GETALL, arg) == 0 && got[0] == 1 && got[1] == 2 && got[2] == 3, "GETALL");
    check(semctl(id, 1, GETVAL) == 2, "GETVAL");
    check(semctl(id, 1, GETPID) == getpid(), "GETPID is the setter");
    check_errno(semctl(id, 3, GETVAL), EINVAL, "GETVAL out of range");
    arg.val = 32768;
    check_errno(semctl(id, 0, SETVAL, arg), ERANGE, "SETVAL over SEMVMX");

    /* All or nothing: the second op would block, so the first is not applied. */
    struct sembuf two[2] = {{0, -1, IPC_NOWAIT}, {1, -5, IPC_NOWAIT}};
    check_errno(semop(id, two, 2), EAGAIN, "semop that would block with IPC_NOWAIT");
    check(semctl(id, 0, GETVAL) == 1 && semctl(id, 1, GETVAL) == 2, "nothing applied by the failed semop");
    struct sembuf ok2[2] = {{0, -1, 0}, {1, 3, 0}};
    check(semop(id, ok2, 2) == 0 && semctl(id, 0, GETVAL) == 0 && semctl(id, 1, GETVAL) == 5, "multi-op semop applied");
    struct sembuf big = {2, 32767, 0};
    check_errno(semop(id, &big, 1), ERANGE, "semop over SEMVMX");
    struct sembuf bad = {3, 1, 0};
    check_errno(semop(id, &bad, 1), EFBIG, "semop sem_num out of range");
    check_errno(semop(id, ok2, 0), EINVAL, "semop nsops 0");
    check_errno(semop(id, ok2, 501), E2BIG, "semop nsops over SEMOPM");

    /* A waiter for a decrement sleeps (semncnt 1) until another process increments. */
    pid_t pid = fork();
    if (pid == 0) {
        struct sembuf down = {0, -1, 0};
        _exit(semop(id, &down, 1) == 0 ? 0 : 1);
    }
    check(wait_count(id, 0, GETNCNT, 1), "semncnt 1 while the child waits");
    struct sembuf up = {0, 1, 0};
    semop(id, &up, 1);
    check(exit_code(pid) == 0 && semctl(id, 0, GETVAL) == 0, "the increment woke the child, which took it");
    check(semctl(id, 0, GETNCNT) == 0, "semncnt 0 afterwards");

    /* A wait-for-zero sleeps (semzcnt) until the value reaches zero. */
    pid = fork();
    if (pid == 0) {
        struct sembuf zero = {1, 0, 0};
        _exit(semop(id, &zero, 1) == 0 ? 0 : 1);
    }
    check(wait_count(id, 1, GETZCNT, 1), "semzcnt 1 while the child waits for zero");
    struct sembuf drain = {1, -5, 0};
    semop(id, &drain, 1);
    check(exit_code(pid) == 0, "reaching zero woke the child");

    /* semtimedop times out with EAGAIN. */
    struct timespec ts = {0, 50 * 1000 * 1000};
    struct sembuf down = {0, -1, 0};
    check_errno(semtimedop(id, &down, 1, &ts), EAGAIN, "semtimedop times out");
    struct timespec badts = {0, 1000000000};
    check_errno(semtimedop(id, &down, 1, &badts), EINVAL, "semtimedop with a bad timespec");

    /* A signal ends the wait with EINTR, SA_RESTART or not. */
    pid = fork();
    if (pid == 0) {
        struct sigaction sa = {0};
        sa.sa_handler = on_usr1;
        sa.sa_flags = SA_RESTART;
        sigaction(SIGUSR1, &sa, NULL);
        int r = semop(id, &down, 1);
        _exit(r == -1 && errno == EINTR ? 0 : 1);
    }
    check(wait_count(id, 0, GETNCNT, 1), "child waits");
    kill(pid, SIGUSR1);
    check(exit_code(pid) == 0, "a signal with SA_RESTART ends semop with EINTR");

    /* SEM_UNDO: a process that exits gives back what it took. */
    arg.val = 2;
    semctl(id, 2, SETVAL, arg);
    pid = fork();
    if (pid == 0) {
        struct sembuf take = {2, -2, SEM_UNDO};
        semop(id, &take, 1);
        _exit(semctl(id, 2, GETVAL) == 0 ? 0 : 1);
    }
    check(exit_code(pid) == 0, "child took the semaphore with SEM_UNDO");
    check(semctl(id, 2, GETVAL) == 2, "its exit undid the operation");
    check(semctl(id, 2, GETPID) != getpid(), "sempid is the exiting child");

    /* SEM_UNDO with a waiter: the exit's undo wakes it. */
    pid = fork();
    if (pid == 0) {
        struct sembuf take = {2, -2, SEM_UNDO};
        semop(id, &take, 1);
        pause();
        _exit(0);
    }
    while (semctl(id, 2, GETVAL) != 0) usleep(1000);
    pid_t waiter = fork();
    if (waiter == 0) {
        struct sembuf take = {2, -1, 0};
        _exit(semop(id, &take, 1) == 0 ? 0 : 1);
    }
    check(wait_count(id, 2, GETNCNT, 1), "second child waits for the semaphore");
    kill(pid, SIGKILL);
    exit_code(pid);
    check(exit_code(waiter) == 0 && semctl(id, 2, GETVAL) == 1, "the killed holder's undo woke the waiter");

    /* SETVAL clears the undo adjustments. */
    pid = fork();
    if (pid == 0) {
        struct sembuf take = {2, -1, SEM_UNDO};
        semop(id, &take, 1);
        arg.val = 5;
        semctl(id, 2, SETVAL, arg);
        _exit(0);
    }
    exit_code(pid);
    check(semctl(id, 2, GETVAL) == 5, "SETVAL dropped the pending undo");

    /* IPC_RMID wakes a waiter with EIDRM. */
    pid = fork();
    if (pid == 0) {
        int r = semop(id, &down, 1);
        _exit(r == -1 && errno == EIDRM ? 0 : 1);
    }
    check(wait_count(id, 0, GETNCNT, 1), "child waits before the removal");
    check(semctl(id, 0, IPC_RMID) == 0, "IPC_RMID");
    check(exit_code(pid) == 0, "the waiter got EIDRM");
    check_errno(semctl(id, 0, GETVAL), EINVAL, "the set is gone");
    check_errno(semop(id, &up, 1), EINVAL, "semop on the removed set");

    struct seminfo info;
    arg.__buf = &info;
    check(semctl(0, 0, IPC_INFO, arg) >= 0 && info.semmsl == 32000 && info.semopm == 500 && info.semvmx == 32767, "IPC_INFO limits");

    printf("sysv_sem: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures != 0;
}
