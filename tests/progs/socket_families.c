/*
 * socket_families [netlink]: opens an AF_INET and an AF_UNIX socket and forks once (a clone
 * without namespace flags); with "netlink" also tries AF_NETLINK. One line per call with its
 * result (ok or the errno name), for the generated seccomp profile's argument filters
 * (Observability/SeccompProfileTests). Exit 0 when AF_INET, AF_UNIX and the fork worked.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *result(int r)
{
    if (r >= 0) return "ok";
    switch (errno)
    {
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case ENOSYS: return "ENOSYS";
    default: return strerror(errno);
    }
}

int main(int argc, char **argv)
{
    int failures = 0;
    int inet = socket(AF_INET, SOCK_STREAM, 0);
    printf("AF_INET: %s\n", result(inet));
    int unix_ = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("AF_UNIX: %s\n", result(unix_));
    failures += (inet < 0) + (unix_ < 0);
    if (argc > 1 && strcmp(argv[1], "netlink") == 0)
    {
        int nl = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
        printf("AF_NETLINK: %s\n", result(nl));
    }
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) _exit(7);
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 7) failures++;
    printf("fork: %s\n", failures == 0 ? "ok" : "failed");
    printf("socket_families: %d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
