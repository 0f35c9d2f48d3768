using System.Diagnostics;
using System.Text;
using Csrunsc.Gofer.Server;
using Csrunsc.Native;
using Xunit;

namespace Csrunsc.Tests.Gofer;

/// <summary>Checks the gofer's seccomp program by running it in a small classic-BPF interpreter, and its syscall numbers against the C headers.</summary>
public sealed class GoferSeccompPolicyTests
{
    private const int Pid = 4242;
    private static readonly SockFilter[] Program = GoferSeccompPolicy.BuildProgram(Pid);

    /// <summary>Evaluates a seccomp program for (arch, nr, arg0) the way the kernel does for the instructions the builder emits.</summary>
    internal static uint Run(SockFilter[] prog, uint arch, int nr, params long[] args)
    {
        var data = new byte[64];
        BitConverter.TryWriteBytes(data.AsSpan(0), nr);
        BitConverter.TryWriteBytes(data.AsSpan(4), arch);
        for (int i = 0; i < args.Length; i++) BitConverter.TryWriteBytes(data.AsSpan(16 + 8 * i), args[i]);
        uint a = 0;
        for (int pc = 0, steps = 0; pc < prog.Length && steps < 10_000; steps++)
        {
            var ins = prog[pc];
            switch (ins.Code)
            {
                case SeccompFilter.BPF_LD_W_ABS:
                    a = BitConverter.ToUInt32(data, (int)ins.K);
                    pc++;
                    break;
                case SeccompFilter.BPF_ALU_AND_K:
                    a &= ins.K;
                    pc++;
                    break;
                case SeccompFilter.BPF_JMP_JEQ_K:
                    pc += 1 + (a == ins.K ? ins.Jt : ins.Jf);
                    break;
                case SeccompFilter.BPF_JMP_JGE_K:
                    pc += 1 + (a >= ins.K ? ins.Jt : ins.Jf);
                    break;
                case SeccompFilter.BPF_RET_K:
                    return ins.K;
                default:
                    throw new InvalidOperationException($"unexpected BPF opcode {ins.Code:x}");
            }
        }
        throw new InvalidOperationException("program ran off its end");
    }

    private const uint Deny = SeccompFilter.SECCOMP_RET_ERRNO | Errno.EPERM;

    [Theory]
    [InlineData(0)]   // read
    [InlineData(202)] // futex
    [InlineData(47)]  // recvmsg
    [InlineData(46)]  // sendmsg
    [InlineData(324)] // membarrier
    [InlineData(231)] // exit_group
    public void NeededSyscallsAreAllowed(int nr)
        => Assert.Equal(SeccompFilter.SECCOMP_RET_ALLOW, Run(Program, SeccompFilter.AUDIT_ARCH_X86_64, nr));

    [Theory]
    [InlineData(59)]  // execve
    [InlineData(322)] // execveat
    [InlineData(101)] // ptrace
    [InlineData(41)]  // socket
    [InlineData(42)]  // connect
    [InlineData(165)] // mount
    [InlineData(161)] // chroot
    [InlineData(308)] // setns
    [InlineData(272)] // unshare
    [InlineData(62)]  // kill
    [InlineData(200)] // tkill
    [InlineData(310)] // process_vm_readv
    [InlineData(321)] // bpf
    [InlineData(2)]   // open: paths from the root
    [InlineData(4)]   // stat
    [InlineData(6)]   // lstat
    [InlineData(21)]  // access
    [InlineData(89)]  // readlink
    [InlineData(1000)]
    public void OtherSyscallsGetEperm(int nr)
        => Assert.Equal(Deny, Run(Program, SeccompFilter.AUDIT_ARCH_X86_64, nr));

    [Fact]
    public void X32AndForeignArchitecturesAreRefused()
    {
        Assert.Equal(Deny, Run(Program, SeccompFilter.AUDIT_ARCH_X86_64, unchecked((int)SeccompFilter.X32_SYSCALL_BIT)));
        Assert.Equal(SeccompFilter.SECCOMP_RET_KILL_PROCESS, Run(Program, 0x40000003 /* AUDIT_ARCH_I386 */, 0));
    }

    [Fact]
    public void TgkillOnlyReachesThisProcess()
    {
        Assert.Equal(SeccompFilter.SECCOMP_RET_ALLOW, Run(Program, SeccompFilter.AUDIT_ARCH_X86_64, 234, Pid));
        Assert.Equal(Deny, Run(Program, SeccompFilter.AUDIT_ARCH_X86_64, 234, 1));
        Assert.Equal(Deny, Run(Program, SeccompFilter.AUDIT_ARCH_X86_64, 234, Pid | (1L << 32)));
        // A syscall listed after the conditional rule is still found.
        Assert.Equal(SeccompFilter.SECCOMP_RET_ALLOW, Run(
            SeccompFilter.Build([new("tgkill", 234, [ArgCheck.Equals64(0, Pid)]), new("read", 0)], Errno.EPERM),
            SeccompFilter.AUDIT_ARCH_X86_64, 0));
    }

    private const uint Allow = SeccompFilter.SECCOMP_RET_ALLOW;
    private const uint X86 = SeccompFilter.AUDIT_ARCH_X86_64;

    [Fact]
    public void CloneOnlyMakesThreadsAndClone3FallsBack()
    {
        const long threadFlags = 0x3d0f00; // glibc's pthread_create: CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID
        Assert.Equal(Allow, Run(Program, X86, 56, threadFlags));
        Assert.Equal(Deny, Run(Program, X86, 56, 0x11 /* fork: SIGCHLD */));
        Assert.Equal(Deny, Run(Program, X86, 56, 0x4111 /* vfork */));
        Assert.Equal(Deny, Run(Program, X86, 56, threadFlags & ~0x100L /* a thread without CLONE_VM */));
        Assert.Equal(SeccompFilter.SECCOMP_RET_ERRNO | Errno.ENOSYS, Run(Program, X86, 435, 0));
    }

    [Fact]
    public void OpenatNeedsNoFollowAndOpenat2ItsSize()
    {
        const long noFollow = 0x20000, path = 0x200000, tmpfile = 0x410000;
        Assert.Equal(Allow, Run(Program, X86, 257, -100, 0, path | noFollow | 0x80000));
        Assert.Equal(Allow, Run(Program, X86, 257, 3, 0, 0x42 /* O_RDWR|O_CREAT */ | noFollow));
        Assert.Equal(Deny, Run(Program, X86, 257, 3, 0, 0 /* O_RDONLY: would follow a symlink */));
        Assert.Equal(Deny, Run(Program, X86, 257, 3, 0, tmpfile | 2 | noFollow));
        Assert.Equal(Allow, Run(Program, X86, 437, 3, 0, 0, 24));
        Assert.Equal(Deny, Run(Program, X86, 437, 3, 0, 0, 32));
    }

    [Theory]
    [InlineData(0x8000, true)]  // S_IFREG
    [InlineData(0, true)]       // 0 = regular
    [InlineData(0x1000, true)]  // S_IFIFO
    [InlineData(0xC000, true)]  // S_IFSOCK
    [InlineData(0x6000, false)] // S_IFBLK
    [InlineData(0x2000, false)] // S_IFCHR
    [InlineData(0x4000, false)] // S_IFDIR (mkdirat's job)
    public void MknodatNeverMakesDevices(long type, bool allowed)
        => Assert.Equal(allowed ? Allow : Deny, Run(Program, X86, 259, 3, 0, type | 0x1A4, 0x0801));

    [Fact]
    public void IoctlAndPrctlOnlyTheHarmlessRequests()
    {
        Assert.Equal(Allow, Run(Program, X86, 16, 3, 0x5451 /* FIOCLEX */));
        Assert.Equal(Deny, Run(Program, X86, 16, 3, 0x5412 /* TIOCSTI */));
        Assert.Equal(Deny, Run(Program, X86, 16, 3, 0x4004_6602 /* FS_IOC_GETFLAGS */));
        Assert.Equal(Allow, Run(Program, X86, 157, 15 /* PR_SET_NAME */));
        Assert.Equal(Deny, Run(Program, X86, 157, 8 /* PR_SET_KEEPCAPS */));
        Assert.Equal(Deny, Run(Program, X86, 157, 22 /* PR_SET_SECCOMP */));
    }

    [Fact]
    public void PolicyListHasNoDuplicatesAndFitsTheKernelLimit()
    {
        var all = GoferSeccompPolicy.Names.ToList();
        Assert.Equal(all.Count, all.Select(s => s.nr).Distinct().Count());
        Assert.Equal(all.Count, all.Select(s => s.name).Distinct().Count());
        Assert.True(Program.Length < 4096);
    }

    [Fact]
    public void SyscallNumbersMatchTheCHeaders()
    {
        string dir = Path.Combine(Path.GetTempPath(), "csrunsc-seccomp-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var all = GoferSeccompPolicy.Names.ToList();
            var src = new StringBuilder("#include <stdio.h>\n#include <sys/syscall.h>\nint main(void){\n");
            // Headers older than a syscall do not name it: print -1 and skip it.
            foreach (var (name, _) in all)
            {
                src.Append($"#ifdef SYS_{name}\nprintf(\"%ld\\n\", (long)SYS_{name});\n#else\nputs(\"-1\");\n#endif\n");
            }
            src.Append("return 0;}\n");
            File.WriteAllText(Path.Combine(dir, "nr.c"), src.ToString());
            if (!RunTool("gcc", $"-o {dir}/nr {dir}/nr.c", out string gccOut))
            {
                Assert.Fail("gcc failed: " + gccOut);
            }
            Assert.True(RunTool($"{dir}/nr", "", out string output));
            var numbers = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
            Assert.Equal(all.Count, numbers.Count);
            Assert.Equal(all.Select(s => $"{s.name}={s.nr}"), all.Select((s, i) => $"{s.name}={(numbers[i] < 0 ? s.nr : numbers[i])}"));
            Assert.True(numbers.Count(n => n < 0) <= 3, "too few syscalls could be checked");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static bool RunTool(string file, string args, out string output)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0;
    }
}
