// What /dev/kvm on this host (kvm_pvm: Pagetable-based Virtual Machine) accepts, and what an exit
// costs. A long-mode guest with 4-level paging: a ring-0 stub in the upper half (supervisor pages),
// user code in the lower half running at CPL3 that executes SYSCALL; the stub turns the syscall
// and a user page fault into I/O exits, and returns to user mode with PVM's EVENT_RETURN_USER.
// Build: cc -O2 -o kvm_probe kvm_probe.c ; run as root: ./kvm_probe [iterations]
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM (4 << 20)
#define PML4 0x1000
#define PDPT 0x2000
#define PD 0x3000
#define PT 0x4000
#define KPDPT 0x5000
#define KPD 0x6000
#define KPT 0x7000
#define KCODE 0x8000
#define IDT 0x9000
#define GDT 0xa000
#define TSS 0xb000
#define KSTACK 0xf000
#define BUF 0xc000
#define UCODE 0x10000
#define USTACK 0x12000
#define KBASE 0xffff800000000000ULL   // PML4 slot 256: the first the PVM supervisor may use
#define P 1
#define W 2
#define U 4

#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define MSR_PVM_VCPU_STRUCT 0x4b564df1
#define MSR_PVM_SUPERVISOR_RSP 0x4b564df2
#define MSR_PVM_EVENT_ENTRY 0x4b564df4
#define MSR_PVM_RETU_RIP 0x4b564df5

struct pvcs { // PVM's struct pvm_vcpu_struct (Documentation/virt/kvm/x86/pvm-spec.rst)
    uint64_t event_flags, cr2, reserved0[6];
    uint16_t user_cs, user_ss, event_errcode, event_vector;
    uint64_t user_gsbase;
    uint32_t eflags, pkru;
    uint64_t rip, rcx, r11, reserved1[2];
};

static int kvm, vm, vcpu;
static struct kvm_run *run;
static uint8_t *mem;

static void die(const char *m) { perror(m); exit(1); }
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static void set_seg(struct kvm_segment *s, int sel, int code, int dpl) {
    memset(s, 0, sizeof *s);
    s->selector = sel; s->limit = 0xffffffff; s->present = 1; s->s = 1; s->dpl = dpl; s->g = 1;
    if (code) { s->type = 0xb; s->l = 1; } else { s->type = 0x3; s->db = 1; }
}

static int set_msr(uint32_t idx, uint64_t v) {
    struct { struct kvm_msrs h; struct kvm_msr_entry e; } m = {0};
    m.h.nmsrs = 1; m.e.index = idx; m.e.data = v;
    int r = ioctl(vcpu, KVM_SET_MSRS, &m);
    if (r != 1) printf("  SET_MSR %#x = %#llx refused (%d)\n", idx, (unsigned long long)v, r);
    return r;
}

int main(int argc, char **argv) {
    setvbuf(stdout, 0, _IONBF, 0);
    int iters = argc > 1 ? atoi(argv[1]) : 100000;
    kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) die("/dev/kvm");
    printf("API %d, sync regs %d, immediate exit %d, xsave %d\n", ioctl(kvm, KVM_GET_API_VERSION, 0),
           ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS), ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT),
           ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE));
    vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) die("KVM_CREATE_VM");
    mem = mmap(0, MEM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    struct kvm_userspace_memory_region reg = {.slot = 0, .guest_phys_addr = 0, .memory_size = MEM, .userspace_addr = (uint64_t)mem};
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &reg) < 0) die("SET_USER_MEMORY_REGION");
    vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) die("KVM_CREATE_VCPU");
    run = mmap(0, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    struct { struct kvm_cpuid2 h; struct kvm_cpuid_entry2 e[100]; } cpuid = {.h.nent = 100};
    if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &cpuid) < 0) die("GET_SUPPORTED_CPUID");
    if (ioctl(vcpu, KVM_SET_CPUID2, &cpuid) < 0) die("SET_CPUID2");

    // User half: identity 0..2M, only the user pages present. Kernel half: KBASE+x -> x, supervisor.
    uint64_t *pml4 = (uint64_t *)(mem + PML4), *pdpt = (uint64_t *)(mem + PDPT), *pd = (uint64_t *)(mem + PD), *pt = (uint64_t *)(mem + PT);
    uint64_t *kpdpt = (uint64_t *)(mem + KPDPT), *kpd = (uint64_t *)(mem + KPD), *kpt = (uint64_t *)(mem + KPT);
    pml4[0] = PDPT | P | W | U; pdpt[0] = PD | P | W | U; pd[0] = PT | P | W | U;
    pt[UCODE >> 12] = UCODE | P | U;
    pt[(USTACK - 0x1000) >> 12] = (USTACK - 0x1000) | P | W | U;
    pml4[256] = KPDPT | P | W | U; kpdpt[0] = KPD | P | W | U; kpd[0] = KPT | P | W | U; // U here, S in the leaves
    for (int i = 0; i < 16; i++) kpt[i] = (i * 0x1000) | P | W;
    pt[0x1ff] = KCODE | P | U;  // the syscall entry runs at CPL3, and user mode sees only the lower half
#define SYSENTRY 0x1ff000

    // Stub page (user-accessible: this PVM delivers a CPL3 SYSCALL to LSTAR without leaving CPL3):
    //   +0     LSTAR: out 0x10,al             -> I/O exit; the host resumes at rcx with r11's flags
    //   +0x100 #PF handler (IDT, CPL0): out 0x11,al ; add rsp,8 ; iretq
    uint8_t *k = mem + KCODE;
    k[0] = 0xe6; k[1] = 0x10; k[2] = 0xf4;
    k[0x100] = 0xe6; k[0x101] = 0x11; k[0x102] = 0x48; k[0x103] = 0x83; k[0x104] = 0xc4; k[0x105] = 0x08; k[0x106] = 0x48; k[0x107] = 0xcf;
    // +0x200 #UD handler (entered from the syscall entry's ud2 at +2: int n is #UD here): applies the PTE
    //        writes listed at BUF (count, then (kernel va, value) pairs) as guest stores, reloads
    //        CR3, exits with out 0x12, then iretq with the frame the host wrote.
    k[2] = 0x0f; k[3] = 0x0b;
    {
        uint8_t a[] = {0x48, 0xbe, 0, 0, 0, 0, 0, 0, 0, 0, 0x48, 0x8b, 0x0e, 0x48, 0x83, 0xc6, 0x08,
                       0x48, 0x85, 0xc9, 0x74, 0x13, 0x48, 0x8b, 0x3e, 0x48, 0x8b, 0x46, 0x08, 0x48, 0x89, 0x07,
                       0x48, 0x83, 0xc6, 0x10, 0x48, 0xff, 0xc9, 0xeb, 0xe8, 0x0f, 0x20, 0xd8, 0x0f, 0x22, 0xd8,
                       0xe6, 0x12, 0x48, 0xcf};
        uint64_t buf = KBASE + BUF;
        memcpy(a + 2, &buf, 8);
        memcpy(k + 0x200, a, sizeof a);
        uint64_t g = KBASE + KCODE + 0x200;
        uint64_t *idt0 = (uint64_t *)(mem + IDT);
        idt0[6 * 2] = (g & 0xffff) | (0x10ULL << 16) | (0xeULL << 40) | (3ULL << 45) | (1ULL << 47) | (((g >> 16) & 0xffff) << 48);
        idt0[6 * 2 + 1] = g >> 32;
    }
    uint64_t h = KBASE + KCODE + 0x100;
    uint64_t *idt = (uint64_t *)(mem + IDT);
    idt[14 * 2] = (h & 0xffff) | (0x10ULL << 16) | (0xeULL << 40) | (1ULL << 47) | (((h >> 16) & 0xffff) << 48);
    idt[14 * 2 + 1] = h >> 32;
    uint64_t *gdt = (uint64_t *)(mem + GDT);
    gdt[2] = 0x00af9b000000ffffULL; gdt[3] = 0x00cf93000000ffffULL;  // kernel code/data
    gdt[4] = 0x00cffb000000ffffULL; gdt[5] = 0x00cff3000000ffffULL; gdt[6] = 0x00affb000000ffffULL; // user32 cs, ds, cs
    uint64_t tb = KBASE + TSS;
    gdt[8] = 0x67 | ((tb & 0xffffff) << 16) | (0x89ULL << 40) | (((tb >> 24) & 0xff) << 56);
    gdt[9] = tb >> 32;
    *(uint64_t *)(mem + TSS + 4) = KBASE + KSTACK; // rsp0

    // User: ebx = iters; loop: syscall; dec ebx; jnz loop; mov byte [0x20000], 42 (fault); syscall; jmp $
    uint8_t *u = mem + UCODE;
    int o = 0;
    u[o++] = 0xbb; memcpy(u + o, &iters, 4); o += 4;
    int loop = o;
    if (getenv("OUTLOOP")) { u[o++] = 0xe6; u[o++] = 0x10; } else { u[o++] = 0x0f; u[o++] = 0x05; }
    u[o++] = 0xff; u[o++] = 0xcb;
    u[o++] = 0x75; u[o] = (uint8_t)(loop - (o + 1)); o++;
    int fault_rip = o;
    u[o++] = 0xc6; u[o++] = 0x04; u[o++] = 0x25; u[o++] = 0x00; u[o++] = 0x00; u[o++] = 0x02; u[o++] = 0x00; u[o++] = 0x2a;
    u[o++] = 0x0f; u[o++] = 0x05; // syscall after the store
    int fault2_rip = o;
    u[o++] = 0xc6; u[o++] = 0x04; u[o++] = 0x25; u[o++] = 0x00; u[o++] = 0x00; u[o++] = 0x02; u[o++] = 0x00; u[o++] = 0x2b; // mov byte [0x20000], 43
    u[o++] = 0x0f; u[o++] = 0x05;
    u[o++] = 0xeb; u[o++] = 0xfe;

    struct kvm_sregs s;
    if (ioctl(vcpu, KVM_GET_SREGS, &s) < 0) die("GET_SREGS");
    s.cr3 = PML4;
    s.cr4 = (1 << 5) | (1 << 9) | (1 << 10) | (1 << 16); // PAE OSFXSR OSXMMEXCPT FSGSBASE
    s.cr0 = 0x80050033;
    s.efer = (1 << 0) | (1 << 8) | (1 << 10);
    s.gdt.base = KBASE + GDT; s.gdt.limit = 10 * 8 - 1;
    s.idt.base = KBASE + IDT; s.idt.limit = 256 * 16 - 1;
    set_seg(&s.cs, 0x33, 1, 3);
    set_seg(&s.ss, 0x2b, 0, 3);
    s.ds = s.es = s.fs = s.gs = s.ss;
    memset(&s.tr, 0, sizeof s.tr);
    s.tr.selector = 0x40; s.tr.base = KBASE + TSS; s.tr.type = 0xb; s.tr.present = 1; s.tr.limit = 0x67;
    s.ldt.unusable = 1;
    if (ioctl(vcpu, KVM_SET_SREGS, &s) < 0) die("SET_SREGS");
    set_msr(MSR_STAR, (0x23ULL << 48) | (0x10ULL << 32));
    set_msr(MSR_LSTAR, SYSENTRY);
    set_msr(MSR_FMASK, 0x47700);
    struct kvm_regs r = {0};
    r.rip = UCODE; r.rsp = USTACK; r.rflags = 0x202;
    if (ioctl(vcpu, KVM_SET_REGS, &r) < 0) die("SET_REGS");

    run->kvm_valid_regs = KVM_SYNC_X86_REGS;
    if (ioctl(vcpu, KVM_RUN, 0) < 0) die("KVM_RUN");
    if (run->exit_reason != KVM_EXIT_IO || run->io.port != 0x10) {
        ioctl(vcpu, KVM_GET_REGS, &r); ioctl(vcpu, KVM_GET_SREGS, &s);
        printf("first exit: reason %d port %#x rip=%#llx cs=%#x cr2=%#llx\n", run->exit_reason, run->io.port, r.rip, s.cs.selector, s.cr2);
        uint64_t *f = (uint64_t *)(mem + KSTACK) - 6;
        printf("  frame: err=%#lx rip=%#lx cs=%#lx fl=%#lx rsp=%#lx ss=%#lx\n", f[0], f[1], f[2], f[3], f[4], f[5]);
        return 1;
    }
    struct kvm_regs *sr = &run->s.regs.regs;
    printf("first syscall exit: rip=%#llx rcx=%#llx (user rip after syscall) r11=%#llx rflags=%#llx rbx=%lld\n", sr->rip, sr->rcx, sr->r11, sr->rflags, sr->rbx);
    if (ioctl(vcpu, KVM_GET_SREGS, &s) == 0) printf("  in the syscall entry: cs=%#x dpl=%d (CPL)\n", s.cs.selector, s.cs.dpl);
    double t0 = now();
    int n = 1;
    for (;;) {
        // Resume the user at the syscall's return address, as sysret would.
        if (!getenv("OUTLOOP")) { sr->rip = sr->rcx; sr->rflags = sr->r11; run->kvm_dirty_regs = KVM_SYNC_X86_REGS; }
        if (ioctl(vcpu, KVM_RUN, 0) < 0) die("KVM_RUN");
        if (run->exit_reason != KVM_EXIT_IO || run->io.port != 0x10) break;
        n++;
    }
    double t1 = now();
    printf("%d syscall round trips in %.3f s: %.2f us each (user SYSCALL -> LSTAR out -> I/O exit -> KVM_RUN with rip=rcx via sync regs)\n", n, t1 - t0, (t1 - t0) * 1e6 / n);
    if (run->exit_reason == KVM_EXIT_IO && run->io.port == 0x11) {
        uint64_t *f = (uint64_t *)(mem + KSTACK) - 6;
        ioctl(vcpu, KVM_GET_SREGS, &s);
        printf("user page fault via IDT: error=%#lx rip=%#lx (expected %#x) cs=%#lx rsp=%#lx ss=%#lx cr2=%#llx handler cs=%#x\n",
               f[0], f[1], UCODE + fault_rip, f[2], f[4], f[5], s.cr2, s.cs.selector);
    } else {
        printf("unexpected exit %d port %#x rip=%#llx\n", run->exit_reason, run->io.port, sr->rip);
        return 1;
    }
    // Map the page and resume through the handler's iretq: the store completes, then a syscall exits.
    pt[0x20] = 0x20000 | P | W | U;
    run->kvm_dirty_regs = 0;
    if (ioctl(vcpu, KVM_RUN, 0) < 0) die("KVM_RUN");
    printf("resumed after mapping: exit %d port %#x rip=%#llx, stored %d\n", run->exit_reason, run->io.port, sr->rip, mem[0x20000]);
    // Remove the entry again (a host write to the guest's page table) and store again: does the
    // shadow MMU notice? FLUSH=sregs: reload CR3 with PWT toggled through KVM_SET_SREGS first.
    if (getenv("FLUSH") && !strcmp(getenv("FLUSH"), "guest")) {
        uint64_t *b = (uint64_t *)(mem + BUF);
        b[0] = 1; b[1] = KBASE + PT + 0x20 * 8; b[2] = 0;
        uint64_t user_rip = sr->rcx, user_fl = sr->r11;
        sr->rip = SYSENTRY + 2; run->kvm_dirty_regs = KVM_SYNC_X86_REGS;   // ud2
        if (ioctl(vcpu, KVM_RUN, 0) < 0) die("KVM_RUN");
        printf("guest applied the PTE write: exit port %#x pte now %#lx\n", run->io.port, pt[0x20]);
        uint64_t *f = (uint64_t *)(mem + KSTACK) - 5;  // rip cs rflags rsp ss
        f[0] = user_rip; f[1] = 0x33; f[2] = user_fl; f[3] = USTACK; f[4] = 0x2b;
        run->kvm_dirty_regs = 0;
    } else {
        pt[0x20] = 0;
        if (getenv("FLUSH")) { ioctl(vcpu, KVM_GET_SREGS, &s); s.cr3 ^= 8; if (ioctl(vcpu, KVM_SET_SREGS, &s) < 0) die("SET_SREGS cr3"); }
        sr->rip = sr->rcx; sr->rflags = sr->r11; run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
    }
    if (ioctl(vcpu, KVM_RUN, 0) < 0) die("KVM_RUN");
    printf("after removing the PTE (%s): exit port %#x (0x11 = faulted as it must, 0x10 = stale translation used), value %d, fault rip %#lx expected %#x\n",
           getenv("FLUSH") ? getenv("FLUSH") : "no flush", run->io.port, mem[0x20000], ((uint64_t *)(mem + KSTACK))[-5], UCODE + fault2_rip);
    t0 = now();
    run->immediate_exit = 1;
    for (int i = 0; i < 100000; i++) if (ioctl(vcpu, KVM_RUN, 0) == 0 || errno != EINTR) { printf("immediate_exit: not EINTR\n"); break; }
    t1 = now();
    printf("KVM_RUN with immediate_exit (no guest entry): %.2f us\n", (t1 - t0) * 1e6 / 100000);
    return 0;
}
