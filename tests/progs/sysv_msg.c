/* sysv_msg.c: SysV message queues as Linux has them: msgrcv's type selection (0: first;
 * > 0: first of the type, or of another with MSG_EXCEPT; < 0: lowest type up to |msgtyp|),
 * E2BIG and MSG_NOERROR truncation, IPC_NOWAIT (ENOMSG/EAGAIN), MSG_COPY, a sender blocked by
 * msg_qbytes until a receiver makes room, a receiver blocked until a message of its type
 * arrives from another process, EIDRM on removal, IPC_SET of msg_qbytes, errors.
 * Deterministic output: no ids, keys, pids or times are printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>

struct msg {
    long type;
    char text[256];
};

static int failures;

static void check(int ok, const char *what)
{
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    if (!ok) failures++;
}

static void check_errno(long r, int want, const char *what)
{
    int ok = r == -1 && errno == want;
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    if (!ok) {
        printf("  got %ld errno %d (%s), want errno %d\n", r, errno, strerror(errno), want);
        failures++;
    }
}

static int send(int id, long type, const char *text, int flags)
{
    struct msg m = {.type = type};
    strcpy(m.text, text);
    return msgsnd(id, &m, strlen(text) + 1, flags);
}

/* Receives and prints type and text (or the errno). */
static void recv_show(int id, long msgtyp, int flags, const char *what)
{
    struct msg m = {0};
    long n = msgrcv(id, &m, sizeof m.text, msgtyp, flags);
    if (n < 0) printf("%s: errno %s\n", what, strerror(errno));
    else printf("%s: type %ld text '%s' (%ld bytes)\n", what, m.type, m.text, n);
}

static long qnum(int id)
{
    struct msqid_ds ds;
    return msgctl(id, IPC_STAT, &ds) == 0 ? (long)ds.msg_qnum : -1;
}

int main(void)
{
    key_t key = 0x5a5a0003;
    msgctl(msgget(key, 0), IPC_RMID, NULL);
    check_errno(msgget(key, 0600), ENOENT, "msgget missing key");
    int id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
    check(id >= 0, "msgget create");
    check(msgget(key, 0) == id, "msgget existing");
    check_errno(msgget(key, IPC_CREAT | IPC_EXCL), EEXIST, "msgget IPC_EXCL");

    send(id, 3, "three-a", 0);
    send(id, 1, "one", 0);
    send(id, 5, "five", 0);
    send(id, 3, "three-b", 0);
    send(id, 2, "two", 0);
    check(qnum(id) == 5, "five messages queued");

    struct msqid_ds ds;
    check(msgctl(id, IPC_STAT, &ds) == 0 && ds.msg_cbytes == 8 + 4 + 5 + 8 + 4 && ds.msg_qbytes == 16384, "IPC_STAT bytes and qbytes");

    /* MSG_COPY: a copy by position, the queue unchanged. */
    struct msg m = {0};
    long n = msgrcv(id, &m, sizeof m.text, 2, IPC_NOWAIT | MSG_COPY);
    check(n == 5 && m.type == 5 && strcmp(m.text, "five") == 0 && qnum(id) == 5, "MSG_COPY of the third message");
    check_errno(msgrcv(id, &m, sizeof m.text, 9, IPC_NOWAIT | MSG_COPY), ENOMSG, "MSG_COPY past the end");
    check_errno(msgrcv(id, &m, sizeof m.text, 0, MSG_COPY), EINVAL, "MSG_COPY without IPC_NOWAIT");

    recv_show(id, 3, 0, "msgtyp 3");
    recv_show(id, 3, MSG_EXCEPT, "msgtyp 3 with MSG_EXCEPT");
    recv_show(id, -4, 0, "msgtyp -4");
    recv_show(id, -4, 0, "msgtyp -4 again");
    check_errno(msgrcv(id, &m, 2, 0, IPC_NOWAIT), E2BIG, "message larger than the buffer");
    n = msgrcv(id, &m, 2, 0, MSG_NOERROR);
    check(n == 2 && m.type == 5 && memcmp(m.text, "fi", 2) == 0, "MSG_NOERROR truncates");
    check_errno(msgrcv(id, &m, sizeof m.text, 0, IPC_NOWAIT), ENOMSG, "empty queue with IPC_NOWAIT");
    check_errno(send(id, 0, "x", 0), EINVAL, "mtype 0");
    check_errno(msgsnd(id, &m, 8193, 0), EINVAL, "message over msgmax");

    /* A receiver waiting for type 7 is woken by another process's message of that type only. */
    pid_t pid = fork();
    if (pid == 0) {
        struct msg r = {0};
        long k = msgrcv(id, &r, sizeof r.text, 7, 0);
        _exit(k == 6 && strcmp(r.text, "seven") == 0 ? 0 : 1);
    }
    usleep(100 * 1000);
    send(id, 6, "six", 0);
    send(id, 7, "seven", 0);
    int status;
    waitpid(pid, &status, 0);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "blocked receiver got its type from another process");
    recv_show(id, 0, IPC_NOWAIT, "the other type stayed");

    /* msg_qbytes bounds the queue: a sender blocks until a receiver makes room. */
    ds.msg_qbytes = 100;
    check(msgctl(id, IPC_SET, &ds) == 0 && msgctl(id, IPC_STAT, &ds) == 0 && ds.msg_qbytes == 100, "IPC_SET msg_qbytes");
    char text[61];
    memset(text, 'a', 60);
    text[60] = 0;
    check(send(id, 1, text, 0) == 0, "first 61-byte message fits");
    check_errno(send(id, 1, text, IPC_NOWAIT), EAGAIN, "second does not fit (IPC_NOWAIT)");
    pid = fork();
    if (pid == 0) _exit(send(id, 2, text, 0) == 0 ? 0 : 1);
    usleep(100 * 1000);
    check(qnum(id) == 1, "the child's sender is blocked");
    n = msgrcv(id, &m, sizeof m.text, 1, 0);
    waitpid(pid, &status, 0);
    check(n == 61 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && qnum(id) == 1, "receiving made room for the blocked sender");
    ds.msg_qbytes = 16385;
    if (geteuid() == 0) printf("raising msg_qbytes over msgmnb as root: %s\n", msgctl(id, IPC_SET, &ds) == 0 ? "allowed" : strerror(errno));

    /* IPC_RMID: a blocked receiver gets EIDRM. */
    msgrcv(id, &m, sizeof m.text, 0, IPC_NOWAIT);
    pid = fork();
    if (pid == 0) {
        struct msg r;
        msgrcv(id, &r, sizeof r.text, 98, 0);
        long k = msgrcv(id, &r, sizeof r.text, 99, 0);
        _exit(k == -1 && errno == EIDRM ? 0 : 1);
    }
    /* The child takes message 98 and goes straight into the wait for 99. */
    send(id, 98, "go", 0);
    while (qnum(id) != 0) usleep(1000);
    usleep(100 * 1000);
    check(msgctl(id, IPC_RMID, NULL) == 0, "IPC_RMID");
    waitpid(pid, &status, 0);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "blocked receiver got EIDRM");
    check_errno(msgsnd(id, &m, 1, 0), EINVAL, "msgsnd on the removed queue");

    struct msginfo info;
    check(msgctl(0, IPC_INFO, (struct msqid_ds *)&info) >= 0 && info.msgmax == 8192 && info.msgmnb == 16384 && info.msgmni == 32000, "IPC_INFO limits");

    printf("sysv_msg: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures != 0;
}
