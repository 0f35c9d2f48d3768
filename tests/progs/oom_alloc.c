/* Waits for SIGUSR1 (sent once `events` is attached), then touches memory 1 MiB at a time until
 * the memory cgroup's OOM killer ends it (EventsTests: the {"type":"oom"} event under runc and csrunsc). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    sigset_t set;
    int sig;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    sigwait(&set, &sig);
    for (int i = 0; i < 4096; i++) {
        char *p = malloc(1 << 20);
        if (p == NULL) {
            printf("oom_alloc: malloc failed after %d MiB\n", i);
            return 1;
        }
        memset(p, i & 0xff, 1 << 20);
    }
    printf("oom_alloc: 4 GiB touched without an OOM kill\n");
    return 2;
}
