using Csrunsc.Native;
using Csrunsc.Sentry.Memory;
using Csrunsc.Sentry.Platform;
using Csrunsc.Sentry.Platform.Ptrace;
using Iced.Intel;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Csrunsc.Tests.Platform;

/// <summary>The ptrace platform on its own: a stub runs hand-assembled guest code; its syscalls stop in the tracer.</summary>
public sealed class PtracePlatformTests : IDisposable
{
    private const ulong CodeAddr = 0x40_0000;
    private readonly string _dir = Directory.CreateTempSubdirectory("csrunsc-platform-").FullName;
    private readonly MemoryFile _mem = new(64L << 20);

    public void Dispose()
    {
        _mem.Dispose();
        Directory.Delete(_dir, true);
    }

    private static byte[] Assemble(Action<Assembler> build)
    {
        var a = new Assembler(64);
        build(a);
        var ms = new MemoryStream();
        a.Assemble(new StreamCodeWriter(ms), CodeAddr);
        return ms.ToArray();
    }

    /// <summary>Runs body on a dedicated thread (a tracee belongs to the thread that traces it).</summary>
    private static void OnTracerThread(Action body)
    {
        Exception? error = null;
        var t = new Thread(() =>
        {
            try { body(); } catch (Exception e) { error = e; }
        });
        t.Start();
        t.Join();
        if (error is not null) throw new Xunit.Sdk.XunitException(error.ToString());
    }

    private PtracePlatform NewPlatform()
    {
        var image = new StubImage();
        string path = Path.Combine(_dir, "stub");
        PtracePlatform.InstallStub(path, image);
        return new PtracePlatform(path, _mem.Fd, image);
    }

    private IContext StartCode(PtracePlatform platform, byte[] code, out UserRegs regs)
    {
        Assert.Equal(0, platform.NewAddressSpace(out IContext ctx));
        long off = _mem.AllocateBlock();
        code.CopyTo(_mem.Span(off, code.Length));
        Assert.Equal(0, ctx.Map(CodeAddr, (ulong)MemoryFile.BlockSize, Libc.PROT_READ | Libc.PROT_EXEC, off));
        regs = new UserRegs { Rip = CodeAddr, Cs = 0x33, Ss = 0x2b, Eflags = 0x202 };
        return ctx;
    }

    [Fact]
    public void GuestSyscallsStopInTheTracerAndNeverRunOnTheHost()
    {
        if (Environment.UserName != "root") return;
        var code = Assemble(a =>
        {
            a.mov(eax, 39);   // getpid: emulated, must not reach the host
            a.syscall();
            a.mov(edi, eax);
            a.mov(eax, 60);   // exit(getpid())
            a.syscall();
            a.ud2();
        });
        var platform = NewPlatform();
        OnTracerThread(() =>
        {
            var ctx = StartCode(platform, code, out UserRegs regs);
            Assert.Equal(SwitchResult.Syscall, ctx.Switch(ref regs, out _));
            Assert.Equal(39UL, regs.OrigRax);
            regs.Rax = 4242;
            Assert.Equal(SwitchResult.Syscall, ctx.Switch(ref regs, out _));
            Assert.Equal(60UL, regs.OrigRax);
            Assert.Equal(4242UL, regs.Rdi);
            ctx.Release(true);
        });
    }

    [Fact]
    public void StubsRunUnderTheirSeccompFilter()
    {
        if (Environment.UserName != "root") return;
        var platform = NewPlatform();
        OnTracerThread(() =>
        {
            Assert.Equal(0, platform.NewAddressSpace(out IContext ctx));
            var status = File.ReadAllLines($"/proc/{ctx.HostPid}/status");
            Assert.Contains("Seccomp:\t2", status);
            Assert.Contains("NoNewPrivs:\t1", status);
            ctx.Release(true);
        });
    }

    [Fact]
    public void UnmappedAccessFaultsWithTheAddress()
    {
        if (Environment.UserName != "root") return;
        var code = Assemble(a =>
        {
            a.mov(rax, 0x1234_5000UL);
            a.mov(rbx, __qword_ptr[rax]);
            a.ud2();
        });
        var platform = NewPlatform();
        OnTracerThread(() =>
        {
            var ctx = StartCode(platform, code, out UserRegs regs);
            Assert.Equal(SwitchResult.Fault, ctx.Switch(ref regs, out SigInfo info));
            Assert.Equal(Libc.SIGSEGV, info.Signo);
            Assert.Equal(0x1234_5000UL, info.Addr);
            ctx.Release(true);
        });
    }

    [Fact]
    public void ThreadsPreparedInOneAddressSpaceAreAttachedByAnotherTracer()
    {
        if (Environment.UserName != "root") return;
        var code = Assemble(a =>
        {
            a.mov(eax, 186); // gettid
            a.syscall();
            a.ud2();
        });
        var platform = NewPlatform();
        ThreadHandle handle = default;
        IContext? parent = null;
        OnTracerThread(() =>
        {
            parent = StartCode(platform, code, out _);
            Assert.Equal(0, parent.PrepareThread(out handle));
            Assert.True(handle.HostTid > 0);
        });
        // The parent's tracer thread has ended; prepare on a thread that stays until the child is done.
        var done = new ManualResetEventSlim();
        var ready = new ManualResetEventSlim();
        var parentThread = new Thread(() =>
        {
            var p = StartCode(platform, code, out _);
            Assert.Equal(0, p.PrepareThread(out handle));
            ready.Set();
            done.Wait();
            p.Release(true);
        });
        parentThread.Start();
        ready.Wait();
        OnTracerThread(() =>
        {
            Assert.Equal(0, platform.AttachThread(handle, out IContext child));
            var regs = new UserRegs { Rip = CodeAddr, Cs = 0x33, Ss = 0x2b, Eflags = 0x202 };
            Assert.Equal(SwitchResult.Syscall, child.Switch(ref regs, out _));
            Assert.Equal(186UL, regs.OrigRax);
            child.Release(false);
        });
        done.Set();
        parentThread.Join();
    }
}
