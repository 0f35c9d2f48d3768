/* fork_cow.c: fork must give the child a private copy of every page (the Sentry shares them
 * copy-on-write). Parent and child write the same data, heap, stack and mmap'd pages, read()
 * into a shared page (a write by the kernel, not by the program), fork again from the child, and
 * each checks that it sees only its own writes. split_block_case: a second mapping placed in the
 * same 64 KiB stub block as a touched one, then fork; the parent's later write must not reach the
 * child. Deterministic output. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

static char data_page[8192] = "initial";

static int check(const char *who, const char *what, const char *got, const char *want)
{
    if (strcmp(got, want) != 0) {
        printf("%s: %s is '%s', want '%s'\n", who, what, got, want);
        return 1;
    }
    return 0;
}

/* Two private mappings in one 64 KiB block, the second made after the first was touched (the
 * Sentry maps the stub a block at a time), then fork: each side keeps its own copy. */
static int split_block_case(void)
{
    char *r = mmap(NULL, 256 << 10, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED) return 1;
    char *blk = (char *)(((uintptr_t)r + 0xFFFF) & ~(uintptr_t)0xFFFF);
    munmap(r, 256 << 10);
    char *a = mmap(blk, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (a != blk) return 1;
    strcpy(a, "before");
    char *b = mmap(blk + 8192, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (b != blk + 8192) return 1;
    /* b stays untouched until after fork: the stub still maps only a's piece of the block. */
    int go[2];
    if (pipe(go) != 0) return 1;
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        if (read(go[0], &c, 1) != 1) _exit(1);
        _exit(check("split child", "first", a, "before") + check("split child", "second", b, ""));
    }
    strcpy(a, "parent");
    strcpy(b, "parent");
    if (write(go[1], "x", 1) != 1) return 1;
    int st;
    waitpid(pid, &st, 0);
    return WEXITSTATUS(st) + check("split parent", "first", a, "parent") + check("split parent", "second", b, "parent");
}

int main(void)
{
    char stack_buf[64] = "initial";
    char *heap = malloc(256 * 1024);
    char *anon = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    strcpy(heap, "initial");
    strcpy(anon, "initial");
    strcpy(anon + (512 << 10), "initial");
    int fds[2];
    if (pipe(fds) != 0) return 1;
    int failures = 0;

    pid_t pid = fork();
    if (pid == 0) {
        strcpy(data_page, "child");
        strcpy(stack_buf, "child");
        strcpy(heap, "child");
        strcpy(anon, "child");
        /* read() writes into a page still shared with the parent: the kernel's own write. */
        if (read(fds[0], anon + (512 << 10), 6) != 6) return 2;
        pid_t grandchild = fork();
        if (grandchild == 0) {
            strcpy(heap, "grandchild");
            _exit(check("grandchild", "data", data_page, "child") + check("grandchild", "heap", heap, "grandchild"));
        }
        int st;
        waitpid(grandchild, &st, 0);
        failures += WEXITSTATUS(st);
        failures += check("child", "data", data_page, "child");
        failures += check("child", "stack", stack_buf, "child");
        failures += check("child", "heap", heap, "child");
        failures += check("child", "anon", anon, "child");
        failures += check("child", "anon read()", anon + (512 << 10), "piped");
        _exit(failures);
    }
    if (write(fds[1], "piped", 6) != 6) return 3;
    int status;
    waitpid(pid, &status, 0);
    failures += WEXITSTATUS(status);
    /* The parent writes after the child is gone too: its pages must still be its own. */
    strcpy(heap + 100, "parent-late");
    failures += check("parent", "data", data_page, "initial");
    failures += check("parent", "stack", stack_buf, "initial");
    failures += check("parent", "heap", heap, "initial");
    failures += check("parent", "anon", anon, "initial");
    failures += check("parent", "anon far", anon + (512 << 10), "initial");
    failures += check("parent", "heap late", heap + 100, "parent-late");
    failures += split_block_case();
    printf("fork_cow: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
