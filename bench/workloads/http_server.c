/* http_server.c PORT SECONDS — a small static HTTP/1.1 server for the request-rate benchmark: one
 * process, non-blocking sockets and epoll, keep-alive, a fixed 13-byte body for every request;
 * listens on 127.0.0.1:PORT (the container shares the host's network namespace so that wrk on
 * the host reaches it), prints "READY", and exits after SECONDS. */
#include "bench.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nhello, world\n";

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: http_server PORT SECONDS\n");
        return 2;
    }
    int port = atoi(argv[1]);
    double end = now_ns() + atof(argv[2]) * 1e9;
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 512) != 0) DIE("bind/listen");
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = ls };
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    printf("READY\n");
    fflush(stdout);
    static char buf[16384];
    long served = 0;
    while (now_ns() < end) {
        struct epoll_event evs[64];
        int n = epoll_wait(ep, evs, 64, 100);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                int c;
                while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event cev = { .events = EPOLLIN, .data.fd = c };
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                }
                continue;
            }
            ssize_t r = read(fd, buf, sizeof buf);
            if (r <= 0) {
                close(fd);
                continue;
            }
            /* One reply per request head in what arrived (wrk pipelines nothing by default). */
            for (ssize_t j = 3; j < r; j++) {
                if (buf[j] == '\n' && buf[j - 1] == '\r' && buf[j - 2] == '\n' && buf[j - 3] == '\r') {
                    if (write(fd, reply, sizeof reply - 1) < 0) break;
                    served++;
                }
            }
        }
    }
    fprintf(stderr, "http_server: served %ld requests\n", served);
    return 0;
}
