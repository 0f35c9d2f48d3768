/* pause.c: the pod sandbox's process for the CRI tests (the sandbox_image's entrypoint, like
 * Kubernetes' pause): sleeps until SIGINT or SIGTERM (then exits 0), reaping any child it
 * inherits as PID 1. Built with gcc -static by the tests (tests/Csrunsc.Tests/Integration/Cri). */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) { (void)sig; _exit(0); }

static void reap(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction sa = {0};
  sa.sa_handler = stop;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sa.sa_handler = reap;
  sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  sigaction(SIGCHLD, &sa, NULL);
  for (;;) pause();
  return 0;
}
