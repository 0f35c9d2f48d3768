// pod_share: what two containers of one pod share (one kernel in gVisor's and csrunsc's pod sandbox,
// the same namespaces under runc). Run "pod_share serve" in one container, then "pod_share join" in
// another of the same pod; each prints what it sees, one fact a line.
//   serve: prints its hostname, makes a SysV shm segment (key 0x504f44) holding a message and a
//          POSIX queue /podq with one message, listens on 127.0.0.1:7411, answers one connection
//          with the line it reads prefixed by "echo:", then waits until the joiner marked the
//          segment and exits 0.
//          (The segment also carries "listening" once the socket listens, for the joiner to wait on.)
//   join:  prints its hostname, reads the segment and the queue, talks to 127.0.0.1:7411, marks
//          the segment, removes the queue, exits with status 3 (a status of its own).
#include <arpa/inet.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <unistd.h>

#define KEY 0x504f44
#define PORT 7411

static void say(const char *fmt, const char *arg) {
    printf(fmt, arg);
    printf("\n");
    fflush(stdout);
}

static int serve(void) {
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    say("serve hostname %s", host);
    int id = shmget(KEY, 4096, IPC_CREAT | IPC_EXCL | 0600);
    if (id < 0) { perror("shmget"); return 1; }
    char *p = shmat(id, NULL, 0);
    if (p == (void *)-1) { perror("shmat"); return 1; }
    strcpy(p, "shm-from-serve");
    struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 64};
    mqd_t q = mq_open("/podq", O_CREAT | O_EXCL | O_WRONLY, 0600, &attr);
    if (q == (mqd_t)-1) { perror("mq_open"); return 1; }
    if (mq_send(q, "mq-from-serve", 14, 1) < 0) { perror("mq_send"); return 1; }
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(PORT), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 1) < 0) { perror("bind/listen"); return 1; }
    strcpy(p + 2048, "listening");
    say("serve %s", "ready");
    int c = accept(s, NULL, NULL);
    if (c < 0) { perror("accept"); return 1; }
    char buf[128] = {0}, out[160];
    ssize_t n = read(c, buf, sizeof buf - 1);
    if (n <= 0) { perror("read"); return 1; }
    buf[strcspn(buf, "\n")] = 0;
    snprintf(out, sizeof out, "echo:%s\n", buf);
    write(c, out, strlen(out));
    close(c);
    for (int i = 0; i < 2000 && strcmp(p + 1024, "joined") != 0; i++) usleep(10000);
    say("serve saw the joiner's mark: %s", strcmp(p + 1024, "joined") == 0 ? "yes" : "no");
    shmdt(p);
    shmctl(id, IPC_RMID, NULL);
    return 0;
}

static int join(void) {
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    say("join hostname %s", host);
    // The server may still be starting: its segment appears once it is ready.
    int id = -1;
    for (int i = 0; i < 1000 && (id = shmget(KEY, 0, 0)) < 0; i++) usleep(10000);
    if (id < 0) { perror("shmget"); return 1; }
    char *p = shmat(id, NULL, 0);
    if (p == (void *)-1) { perror("shmat"); return 1; }
    for (int i = 0; i < 1000 && strcmp(p + 2048, "listening") != 0; i++) usleep(10000);
    say("join shm %s", p);
    mqd_t q = mq_open("/podq", O_RDONLY);
    if (q == (mqd_t)-1) { perror("mq_open"); return 1; }
    char msg[64] = {0};
    unsigned prio = 0;
    if (mq_receive(q, msg, sizeof msg, &prio) < 0) { perror("mq_receive"); return 1; }
    say("join mq %s", msg);
    mq_close(q);
    mq_unlink("/podq");
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(PORT), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) { perror("connect"); return 1; }
    write(s, "hello-over-localhost\n", 21);
    char buf[128] = {0};
    ssize_t n = read(s, buf, sizeof buf - 1);
    if (n <= 0) { perror("read"); return 1; }
    buf[strcspn(buf, "\n")] = 0;
    say("join tcp %s", buf);
    strcpy(p + 1024, "joined");
    shmdt(p);
    return 3;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "serve") == 0) return serve();
    if (argc > 1 && strcmp(argv[1], "join") == 0) return join();
    fprintf(stderr, "usage: pod_share serve|join\n");
    return 2;
}
