/* ipc_limits: the IPC namespace's tunables as the kernel enforces them: prints
 * /proc/sys/kernel/{shmmax,shmall,shmmni,sem,msgmax,msgmnb,msgmni} and fs/mqueue/*, then
 * shmget of shmmax and shmmax+1 bytes, semget of semmsl and semmsl+1 semaphores, semop of semopm+1
 * operations, msgsnd of msgmax+1 bytes, IPC_INFO's fields, and mq_open with maxmsg up to
 * fs.mqueue.msg_max and beyond. Deterministic output; exit 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

static const char *res(long r) { return r >= 0 ? "ok" : strerrorname_np(errno); }

static long read_long(const char *path, int field)
{
    FILE *f = fopen(path, "r");
    long v = -1;
    if (!f) return -1;
    for (int i = 0; i <= field; i++) if (fscanf(f, "%ld", &v) != 1) { v = -1; break; }
    fclose(f);
    return v;
}

int main(void)
{
    const char *files[] = {"/proc/sys/kernel/shmmax", "/proc/sys/kernel/shmall", "/proc/sys/kernel/shmmni",
        "/proc/sys/kernel/sem", "/proc/sys/kernel/msgmax", "/proc/sys/kernel/msgmnb", "/proc/sys/kernel/msgmni",
        "/proc/sys/fs/mqueue/queues_max", "/proc/sys/fs/mqueue/msg_max", "/proc/sys/fs/mqueue/msgsize_max",
        "/proc/sys/fs/mqueue/msg_default", "/proc/sys/fs/mqueue/msgsize_default"};
    for (unsigned i = 0; i < sizeof files / sizeof *files; i++) {
        char line[256] = "";
        FILE *f = fopen(files[i], "r");
        if (f) { if (!fgets(line, sizeof line, f)) line[0] = 0; fclose(f); }
        line[strcspn(line, "\n")] = 0;
        printf("%s: %s\n", files[i] + 10, line);
    }
    long shmmax = read_long("/proc/sys/kernel/shmmax", 0);
    long semmsl = read_long("/proc/sys/kernel/sem", 0), semopm = read_long("/proc/sys/kernel/sem", 2);
    long msgmax = read_long("/proc/sys/kernel/msgmax", 0), mqmax = read_long("/proc/sys/fs/mqueue/msg_max", 0);

    int id = shmget(IPC_PRIVATE, shmmax, IPC_CREAT | 0600);
    printf("shmget(shmmax) %s\n", res(id));
    if (id >= 0) shmctl(id, IPC_RMID, NULL);
    printf("shmget(shmmax+1) %s\n", res(shmget(IPC_PRIVATE, shmmax + 1, IPC_CREAT | 0600)));

    id = semget(IPC_PRIVATE, semmsl, IPC_CREAT | 0600);
    printf("semget(semmsl) %s\n", res(id));
    printf("semget(semmsl+1) %s\n", res(semget(IPC_PRIVATE, semmsl + 1, IPC_CREAT | 0600)));
    if (id >= 0) {
        struct sembuf *ops = calloc(semopm + 1, sizeof *ops);
        for (long i = 0; i <= semopm; i++) { ops[i].sem_num = 0; ops[i].sem_op = 1; ops[i].sem_flg = IPC_NOWAIT; }
        printf("semop(semopm ops) %s\n", res(semop(id, ops, semopm)));
        printf("semop(semopm+1 ops) %s\n", res(semop(id, ops, semopm + 1)));
        semctl(id, 0, IPC_RMID);
    }
    struct seminfo si;
    semctl(0, 0, IPC_INFO, &si);
    printf("sem IPC_INFO: semmsl %d semmns %d semopm %d semmni %d\n", si.semmsl, si.semmns, si.semopm, si.semmni);

    id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    char *buf = calloc(1, msgmax + 16);
    *(long *)buf = 1;
    printf("msgsnd(msgmax) %s\n", res(msgsnd(id, buf, msgmax, IPC_NOWAIT)));
    printf("msgsnd(msgmax+1) %s\n", res(msgsnd(id, buf, msgmax + 1, IPC_NOWAIT)));
    struct msqid_ds ds;
    msgctl(id, IPC_STAT, &ds);
    printf("new queue msg_qbytes %lu\n", (unsigned long)ds.msg_qbytes);
    msgctl(id, IPC_RMID, NULL);
    struct msginfo mi;
    msgctl(0, IPC_INFO, (struct msqid_ds *)&mi);
    printf("msg IPC_INFO: msgmax %d msgmnb %d msgmni %d msgpool %d\n", mi.msgmax, mi.msgmnb, mi.msgmni, mi.msgpool);
    struct shminfo shi;
    shmctl(0, IPC_INFO, (struct shmid_ds *)&shi);
    printf("shm IPC_INFO: shmmax %lu shmmni %lu shmall %lu\n", shi.shmmax, shi.shmmni, shi.shmall);

    struct mq_attr attr = {.mq_maxmsg = mqmax, .mq_msgsize = 64};
    mqd_t q = mq_open("/ipc_limits", O_CREAT | O_RDWR, 0600, &attr);
    printf("mq_open(maxmsg=msg_max) %s\n", res(q));
    if (q >= 0) { mq_close(q); mq_unlink("/ipc_limits"); }
    attr.mq_maxmsg = mqmax + 1;
    q = mq_open("/ipc_limits2", O_CREAT | O_RDWR, 0600, &attr);
    printf("mq_open(maxmsg=msg_max+1) %s\n", res(q));
    if (q >= 0) { mq_close(q); mq_unlink("/ipc_limits2"); }
    q = mq_open("/ipc_limits3", O_CREAT | O_RDWR, 0600, NULL);
    if (q >= 0) { mq_getattr(q, &attr); printf("default queue: maxmsg %ld msgsize %ld\n", attr.mq_maxmsg, attr.mq_msgsize); mq_close(q); mq_unlink("/ipc_limits3"); }
    return 0;
}
