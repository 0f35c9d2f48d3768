/* Makes one syscall csrunsc does not implement (add_key), for the exit-summary test. */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    long r = syscall(SYS_add_key, "user", "csrunsc-test", "x", 1, -2 /* KEY_SPEC_PROCESS_KEYRING */);
    printf("add_key: %s\n", r < 0 ? "failed" : "ok");
    printf("unimplemented_call: ok (0 failures)\n");
    return 0;
}
