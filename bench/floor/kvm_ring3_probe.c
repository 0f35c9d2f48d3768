// KVM probe on this host (kvm_pvm): a long-mode guest with a ring-0 stub and a ring-3 user loop.
// Not built by run.sh yet; build and run as root: gcc -O2 -o kvm_ring3_probe kvm_ring3_probe.c && ./kvm_ring3_probe 20000
// Findings (issue 14, measured 2026-12-02 on kvm_pvm, kernel 6.18):
//  - iretq from ring 0 to ring 3 works; a user #PF is delivered through the IDT with the TSS rsp0
//    stack switch and its `out` exit reaches the host; iretq back retries the access.
//  - A user `syscall` jumps to LSTAR but stays at CPL 3 (the exception frame taken there shows
//    CS 0x2b), so `sysretq` and `mov cr3` in the LSTAR entry raise #GP; this happens even with
//    EFER.SCE clear (no #UD). A syscall exit via an `out` in the LSTAR entry and an iretq frame
//    built on the user stack works: 42.9 us per user syscall -> host exit -> user round trip.
//  - kvm_pvm shadows the guest page tables: clearing a present PTE from the host is NOT seen by
//    the guest afterwards (no new #PF) unless the guest flushes (mov cr3 / invlpg at CPL 0),
//    which the LSTAR entry cannot do at CPL 3. Present-from-not-present edits are seen.
// The version below exits with the #GP report of the last experiment (SCE clear, #UD expected).
// Prototype: long-mode guest, ring-3 user doing syscall -> LSTAR stub -> out -> host.
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
#define MEM (4<<20)
static uint8_t *mem;
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec/1e9;}
static void put(uint64_t a, const uint8_t *c, size_t n){memcpy(mem+a,c,n);}
int main(int argc,char**argv){
  int n = argc>1?atoi(argv[1]):20000;
  int kvm=open("/dev/kvm",O_RDWR); if(kvm<0){perror("kvm");return 1;}
  int vm=ioctl(kvm,KVM_CREATE_VM,0);
  mem=mmap(0,MEM,PROT_READ|PROT_WRITE,MAP_SHARED|MAP_ANONYMOUS,-1,0);
  struct kvm_userspace_memory_region r={.slot=0,.guest_phys_addr=0,.memory_size=MEM,.userspace_addr=(uint64_t)mem};
  if(ioctl(vm,KVM_SET_USER_MEMORY_REGION,&r)<0){perror("mem");return 1;}
  uint64_t *pml4=(void*)(mem+0x1000),*pdpt=(void*)(mem+0x2000),*pd=(void*)(mem+0x3000),*pt=(void*)(mem+0x4000);
  pml4[0]=0x2000|7; pdpt[0]=0x3000|7; pd[0]=0x4000|7;
  for(int i=1;i<512;i++) pt[i]=(i*0x1000ull)|7;
  pt[0x100]=0; // 0x100000 not present at first
  uint64_t *gdt=(void*)(mem+0x5000);
  gdt[0]=0; gdt[1]=0x00af9b000000ffffull; gdt[2]=0x00cf93000000ffffull;
  gdt[3]=0x00cffb000000ffffull; gdt[4]=0x00cff3000000ffffull; gdt[5]=0x00affb000000ffffull;
  // ring0 entry at 0x8000: set LSTAR/STAR/FMASK, iretq to user 0x9000
  uint8_t k[]={
    0xb9,0x82,0x00,0x00,0xc0, 0xb8,0x00,0x81,0x00,0x00, 0x31,0xd2, 0x0f,0x30, // LSTAR=0x8100
    0xb9,0x81,0x00,0x00,0xc0, 0x31,0xc0, 0xba,0x08,0x00,0x18,0x00, 0x0f,0x30, // STAR hi=0x00180008
    0xb9,0x84,0x00,0x00,0xc0, 0xb8,0x00,0x07,0x04,0x00, 0x31,0xd2, 0x0f,0x30, // FMASK
    0x6a,0x23, 0x68,0x00,0x00,0x03,0x00, 0x6a,0x02, 0x6a,0x2b, 0x68,0x00,0x90,0x00,0x00, 0x48,0xcf };
  put(0x8000,k,sizeof k);
  // LSTAR at 0x8100: out 0x10,al ; sysretq
  uint8_t s[]={0xe6,0x10, 0x0f,0x20,0xd8, 0x0f,0x22,0xd8, 0x48,0x83,0x04,0x24,0x02, 0x48,0xcf}; put(0x8100,s,sizeof s);
  // #PF handler at 0x8200: out 0x11,al ; add rsp,8 ; iretq
  uint8_t pf[]={0xe6,0x11, 0x48,0x83,0xc4,0x08, 0x48,0xcf}; put(0x8200,pf,sizeof pf);
  // user at 0x9000: mov rax,[0x100000]; syscall; mov rax,[0x100000]; syscall; loop: syscall; jmp loop
  uint8_t u[]={0x48,0x8b,0x04,0x25,0x00,0x00,0x10,0x00, 0x0f,0x05, 0x48,0x8b,0x04,0x25,0x00,0x00,0x10,0x00, 0x0f,0x05, 0x0f,0x05, 0xeb,0xfc};
  put(0x9000,u,sizeof u);
  // IDT at 0x6000: vector 14 -> 0x8200
  uint64_t *idt=(void*)(mem+0x6000);
  uint64_t h=0x8200; idt[28]=(h&0xffff)|(0x08ull<<16)|(0x8eull<<40)|((h>>16&0xffff)<<48); idt[29]=h>>32;
  for(int v=0;v<32;v++){ if(v==14||v==6)continue; uint8_t g[]={0xb0,(uint8_t)v,0xe6,0x12,0xf4}; put(0x8300+16*v,g,sizeof g); uint64_t hh=0x8300+16*v; idt[2*v]=(hh&0xffff)|(0x08ull<<16)|(0x8eull<<40)|((hh>>16&0xffff)<<48); idt[2*v+1]=0;}
  h=0x8100; idt[12]=(h&0xffff)|(0x08ull<<16)|(0x8eull<<40)|((h>>16&0xffff)<<48); idt[13]=0;
  // TSS at 0x7000 with rsp0=0x20000
  *(uint64_t*)(mem+0x7004)=0x20000; 
  int cpu=ioctl(vm,KVM_CREATE_VCPU,0); if(cpu<0){perror("vcpu");return 1;}
  int sz=ioctl(kvm,KVM_GET_VCPU_MMAP_SIZE,0);
  struct kvm_run *run=mmap(0,sz,PROT_READ|PROT_WRITE,MAP_SHARED,cpu,0);
  struct kvm_cpuid2 *cid=calloc(1,sizeof(*cid)+100*sizeof(struct kvm_cpuid_entry2)); cid->nent=100;
  if(ioctl(kvm,KVM_GET_SUPPORTED_CPUID,cid)<0)perror("getcpuid"); else if(ioctl(cpu,KVM_SET_CPUID2,cid)<0)perror("setcpuid");
  struct kvm_sregs sr; ioctl(cpu,KVM_GET_SREGS,&sr);
  struct kvm_segment cs={.base=0,.limit=0xffffffff,.selector=8,.type=11,.present=1,.dpl=0,.db=0,.s=1,.l=1,.g=1};
  struct kvm_segment ds=cs; ds.selector=0x10; ds.type=3; ds.l=0; ds.db=1;
  struct kvm_segment tr={.base=0x7000,.limit=0x67,.selector=0x30,.type=11,.present=1,.s=0};
  sr.cs=cs; sr.ds=sr.es=sr.fs=sr.gs=sr.ss=ds; sr.tr=tr;
  sr.gdt.base=0x5000; sr.gdt.limit=0x47; sr.idt.base=0x6000; sr.idt.limit=0xfff;
  sr.cr3=0x1000; sr.cr4=0x20|0x200|0x400; sr.cr0=0x80050033; sr.efer=0x500;
  if(ioctl(cpu,KVM_SET_SREGS,&sr)<0){perror("sregs");return 1;}
  struct kvm_regs rg={0}; rg.rip=0x8000; rg.rsp=0x20000; rg.rflags=2;
  ioctl(cpu,KVM_SET_REGS,&rg);
  int pfs=0, sys=0; double t0=0;
  for(;;){
    if(ioctl(cpu,KVM_RUN,0)<0){perror("run");return 1;}
    if(run->exit_reason==KVM_EXIT_IO){
      if(run->io.port==0x12){ printf("exception %d\n",run->io.size? *((uint8_t*)run+run->io.data_offset):0); ioctl(cpu,KVM_GET_REGS,&rg); printf("rsp %llx\n",rg.rsp); uint64_t*st=(void*)(mem+rg.rsp); printf("frame %llx %llx %llx %llx %llx %llx\n",st[0],st[1],st[2],st[3],st[4],st[5]); return 1;}
      if(run->io.port==0x11){ pfs++; pt[0x100]=0x100000|7; printf("pf #%d\n",pfs); if(pfs>3)return 1; continue;}
      sys++;
      if(sys==1){ pt[0x100]=0; printf("syscall 1: cleared pte\n"); }
      if(sys==3){ printf("after 2 syscalls: pfs=%d (2 means host PTE clear was seen)\n",pfs); t0=now();}
      if(sys==3+n){ double t=now()-t0; printf("%d syscall exits: %.2f us each\n",n,t*1e6/n); return 0;}
    } else { printf("exit %d\n",run->exit_reason); ioctl(cpu,KVM_GET_REGS,&rg); printf("rip %llx\n",rg.rip); return 1;}
  }
}
