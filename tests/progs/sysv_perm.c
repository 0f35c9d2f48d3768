/* sysv_perm.c: IPC permission checks with uid/gid/mode. As root, make a shm segment, a
 * semaphore set, a message queue and a POSIX queue with mode 0640 owned by root:100, then check
 * what processes that switched to uid 1000 (in group 100, and not) may do: read-only access for
 * the group, nothing for others, IPC_STAT needs read, IPC_RMID and IPC_SET need the owner or the
 * creator, an IPC_SET that hands the object to uid 1000 lets it remove it.
 * Deterministic output. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>

static int failures;
static int shm, sem, msq;

static void show(const char *who, const char *what, long r)
{
    printf("%s: %s = %s\n", who, what, r == -1 ? strerror(errno) : "ok");
}

static void probe(const char *who)
{
    void *p = shmat(shm, NULL, SHM_RDONLY);
    show(who, "shmat read-only", p == (void *)-1 ? -1 : 0);
    if (p != (void *)-1) shmdt(p);
    p = shmat(shm, NULL, 0);
    show(who, "shmat read-write", p == (void *)-1 ? -1 : 0);
    if (p != (void *)-1) shmdt(p);
    struct shmid_ds sds;
    show(who, "shmctl IPC_STAT", shmctl(shm, IPC_STAT, &sds));
    show(who, "shmctl IPC_RMID", shmctl(shm, IPC_RMID, NULL));
    struct sembuf zero = {0, 0, IPC_NOWAIT}, up = {0, 1, IPC_NOWAIT};
    show(who, "semop wait-for-zero (read)", semop(sem, &zero, 1));
    show(who, "semop increment (alter)", semop(sem, &up, 1));
    show(who, "semctl GETVAL", semctl(sem, 0, GETVAL) < 0 ? -1 : 0);
    show(who, "semctl IPC_RMID", semctl(sem, 0, IPC_RMID));
    struct { long type; char text[8]; } m = {1, "x"};
    show(who, "msgsnd", msgsnd(msq, &m, 2, IPC_NOWAIT));
    show(who, "msgrcv", msgrcv(msq, &m, sizeof m.text, 0, IPC_NOWAIT));
    show(who, "msgctl IPC_RMID", msgctl(msq, IPC_RMID, NULL));
    mqd_t q = mq_open("/csrunsc-perm", O_RDONLY);
    show(who, "mq_open read-only", q == (mqd_t)-1 ? -1 : 0);
    if (q != (mqd_t)-1) mq_close(q);
    q = mq_open("/csrunsc-perm", O_WRONLY);
    show(who, "mq_open write-only", q == (mqd_t)-1 ? -1 : 0);
    if (q != (mqd_t)-1) mq_close(q);
    show(who, "mq_unlink", mq_unlink("/csrunsc-perm"));
}

static void as_user(uid_t uid, gid_t gid, const char *who)
{
    pid_t pid = fork();
    if (pid == 0) {
        gid_t none[1] = {gid};
        if (setgroups(1, none) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) {
            printf("%s: cannot switch ids: %s\n", who, strerror(errno));
            fflush(stdout);
            _exit(1);
        }
        probe(who);
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failures++;
}

int main(void)
{
    if (geteuid() != 0) {
        printf("sysv_perm: needs root\n");
        return 1;
    }
    shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0640);
    sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0640);
    msq = msgget(IPC_PRIVATE, IPC_CREAT | 0640);
    struct mq_attr attr = {.mq_maxmsg = 2, .mq_msgsize = 16};
    /* The queue's group is the creator's fsgid (fchown would need CAP_CHOWN). */
    mode_t old = umask(0);
    setresgid(-1, 100, -1);
    mqd_t q = mq_open("/csrunsc-perm", O_RDWR | O_CREAT, 0640, &attr);
    setresgid(-1, 0, -1);
    umask(old);
    if (shm < 0 || sem < 0 || msq < 0 || q == (mqd_t)-1) {
        printf("sysv_perm: setup failed: %s\n", strerror(errno));
        return 1;
    }
    struct shmid_ds sds;
    shmctl(shm, IPC_STAT, &sds);
    sds.shm_perm.gid = 100;
    shmctl(shm, IPC_SET, &sds);
    union { int val; struct semid_ds *buf; } arg;
    struct semid_ds ds;
    arg.buf = &ds;
    semctl(sem, 0, IPC_STAT, arg);
    ds.sem_perm.gid = 100;
    semctl(sem, 0, IPC_SET, arg);
    struct msqid_ds mds;
    msgctl(msq, IPC_STAT, &mds);
    mds.msg_perm.gid = 100;
    msgctl(msq, IPC_SET, &mds);

    fflush(stdout);
    as_user(1000, 100, "group member");
    as_user(1001, 200, "other user");

    /* Handing the objects to uid 1000 lets it remove them. */
    shmctl(shm, IPC_STAT, &sds);
    sds.shm_perm.uid = 1000;
    shmctl(shm, IPC_SET, &sds);
    semctl(sem, 0, IPC_STAT, arg);
    ds.sem_perm.uid = 1000;
    semctl(sem, 0, IPC_SET, arg);
    msgctl(msq, IPC_STAT, &mds);
    mds.msg_perm.uid = 1000;
    msgctl(msq, IPC_SET, &mds);
    /* The POSIX queue: made again by uid 1000 itself. */
    mq_close(q);
    mq_unlink("/csrunsc-perm");
    pid_t pid = fork();
    if (pid == 0) {
        gid_t g[1] = {100};
        umask(0);
        if (setgroups(1, g) != 0 || setresgid(100, 100, 100) != 0 || setresuid(1000, 1000, 1000) != 0) _exit(1);
        _exit(mq_open("/csrunsc-perm", O_RDWR | O_CREAT, 0640, &attr) == (mqd_t)-1);
    }
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failures++;
    as_user(1000, 100, "new owner");
    mq_unlink("/csrunsc-perm");
    printf("sysv_perm: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures != 0;
}
