/* kvm_floor.c [N] — the KVM floor: a minimal KVM_RUN loop, one I/O exit per iteration (a real-mode
 * guest running `out 0x10, al; jmp back`). Prints `RESULT kvm_floor <ns> ns/exit`: the least any
 * KVM platform can pay per guest syscall on this host. Run as root on the host. */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000;
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) { perror("kvm_floor: /dev/kvm"); return 1; }
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    unsigned char *mem = mmap(0, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    static const unsigned char code[] = {0xe6, 0x10, 0xeb, 0xfc}; /* out 0x10, al ; jmp -4 */
    memcpy(mem + 0x1000, code, sizeof code);
    struct kvm_userspace_memory_region r = {.slot = 0, .guest_phys_addr = 0, .memory_size = 0x10000, .userspace_addr = (unsigned long)mem};
    if (vm < 0 || ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) < 0) { perror("kvm_floor: vm"); return 1; }
    int cpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    struct kvm_run *run = mmap(0, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE, MAP_SHARED, cpu, 0);
    struct kvm_sregs s;
    ioctl(cpu, KVM_GET_SREGS, &s);
    s.cs.base = 0; s.cs.selector = 0;
    ioctl(cpu, KVM_SET_SREGS, &s);
    struct kvm_regs regs = {.rip = 0x1000, .rflags = 2};
    ioctl(cpu, KVM_SET_REGS, &regs);
    for (int i = 0; i < 1000; i++) ioctl(cpu, KVM_RUN, 0); /* warm up */
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if (ioctl(cpu, KVM_RUN, 0) < 0 || run->exit_reason != KVM_EXIT_IO) { fprintf(stderr, "kvm_floor: exit %u\n", run->exit_reason); return 1; }
    }
    printf("RESULT kvm_floor %.0f ns/exit\n", (now_ns() - t0) / (double)n);
    return 0;
}
