using Csrunsc.Native;
using Csrunsc.Sentry.Platform;

namespace Csrunsc.Kvm;

/// <summary>
/// Runs guest code in a KVM virtual machine (gVisor's KVM platform): one VM per sandbox over the
/// Sentry's memory file, one page-table tree per guest address space built by the Sentry, one vCPU
/// per guest thread run by that task's own OS thread, and a small stub (<see cref="KvmStub"/>) that
/// turns every syscall and exception into an exit. Guest code never runs in a host process.
/// </summary>
public sealed unsafe class KvmPlatform : IPlatform
{
    /// <summary>The host signal that kicks a vCPU out of KVM_RUN: blocked on task threads, open only inside KVM_RUN.</summary>
    public const int KickSignal = 63;   // SIGRTMAX; the runtime uses SIGRTMIN

    private readonly Action<string> _log;

    /// <summary>CSRUNSC_KVM_TRACE=1: every exception exit on the event log (debugging).</summary>
    internal static readonly bool Trace = Environment.GetEnvironmentVariable("CSRUNSC_KVM_TRACE") == "1";
    private int _nextVcpu;
    private int _nextSpace;
    private readonly Dictionary<int, GuestPageTables> _spaces = new();

    internal KvmMachine Machine { get; }

    private KvmPlatform(KvmMachine machine, Action<string> log)
    {
        Machine = machine;
        _log = log;
    }

    /// <summary>
    /// Creates the VM over guest memory (the memory file's mapping); must run before the Sentry
    /// confines itself (it opens /dev/kvm). Returns null with a one-line reason when KVM is unusable.
    /// </summary>
    public static KvmPlatform? Create(byte* memoryBase, ulong memorySize, Action<string> log, out string? error)
    {
        int r = KvmMachine.Create(memoryBase, memorySize, out var m, out string? why);
        if (r < 0)
        {
            error = $"platform kvm: cannot create the virtual machine ({why}); use --platform ptrace";
            return null;
        }
        error = null;
        return new KvmPlatform(m!, log);
    }

    public string Name => "kvm";
    public ulong MinUserAddress => 0x10000;
    public ulong MaxUserAddress => KvmStub.EntryVa;
    public Action<int>? AddressSpaceLost { get; set; }

    internal int NextVcpuId() => Interlocked.Increment(ref _nextVcpu) - 1;

    /// <summary>A vCPU with its kvm_run mapping and private page (GDT, TSS, store list, stack).</summary>
    internal readonly struct Vcpu(int fd, byte* run, ulong page)
    {
        public readonly int Fd = fd;
        public readonly byte* Run = run;
        public readonly ulong Page = page;
    }

    private readonly Stack<Vcpu> _idleVcpus = new();
    private byte[]? _initialXsave;

    internal bool TakeVcpu(out Vcpu v)
    {
        lock (_idleVcpus) return _idleVcpus.TryPop(out v);
    }

    internal void ReturnVcpu(Vcpu v)
    {
        lock (_idleVcpus) _idleVcpus.Push(v);
    }

    /// <summary>A fresh vCPU's XSAVE image is kept; a reused one gets it back (no FP state leaks between tasks).</summary>
    internal int ResetFpState(int vcpuFd, bool reused)
    {
        if (!reused)
        {
            if (Volatile.Read(ref _initialXsave) is not null) return 0;
            var x = new byte[KvmAbi.XsaveSize];
            fixed (byte* p = x)
                if (Libc.Ioctl(vcpuFd, KvmAbi.KVM_GET_XSAVE, p) < 0) return -Libc.LastErrno;
            Interlocked.CompareExchange(ref _initialXsave, x, null);
            return 0;
        }
        fixed (byte* p = _initialXsave)
            return Libc.Ioctl(vcpuFd, KvmAbi.KVM_SET_XSAVE, p) < 0 ? -Libc.LastErrno : 0;
    }

    internal void Log(string line) => _log(line);

    public int NewAddressSpace(out IContext context)
    {
        context = null!;
        var space = GuestPageTables.Create(Machine);
        if (space is null) return -Errno.ENOMEM;
        int r = KvmContext.Create(this, space, out var ctx);
        if (r < 0)
        {
            space.Destroy();
            return r;
        }
        lock (_spaces)
        {
            space.Id = ++_nextSpace;
            space.Users = 1;
            _spaces[space.Id] = space;
        }
        context = ctx!;
        return 0;
    }

    public int AttachThread(ThreadHandle handle, out IContext context)
    {
        context = null!;
        GuestPageTables? space;
        lock (_spaces) _spaces.TryGetValue(handle.HostPid, out space);
        if (space is null) return -Errno.ESRCH;
        int r = KvmContext.Create(this, space, out var ctx);
        if (r < 0)
        {
            ReleaseAddressSpace(space);
            return r;
        }
        context = ctx!;
        return 0;
    }

    /// <summary>One more user for a thread about to attach (PrepareThread); false if the space is gone.</summary>
    internal bool RetainAddressSpace(GuestPageTables space)
    {
        lock (_spaces)
        {
            if (space.Users <= 0) return false;
            space.Users++;
            return true;
        }
    }

    /// <summary>A context left (or a prepared thread never attached): the last user tears the tables down.</summary>
    internal void ReleaseAddressSpace(GuestPageTables space)
    {
        lock (_spaces)
        {
            if (--space.Users > 0) return;
            _spaces.Remove(space.Id);
        }
        space.Destroy();
    }

    /// <summary>
    /// Blocks the kick signal on the calling (task) thread and lets KVM_RUN take it: a kick that
    /// arrives outside KVM_RUN stays pending and ends the next KVM_RUN at once.
    /// </summary>
    internal int SetSignalMask(int vcpuFd)
    {
        ulong kick = 1UL << (KickSignal - 1);
        ulong old;
        Libc.PthreadSigMask(0 /* SIG_BLOCK */, &kick, &old);
        // struct kvm_signal_mask { u32 len; u8 sigset[8]; }: the thread's mask without the kick.
        byte* m = stackalloc byte[16];
        *(uint*)m = 8;
        *(ulong*)(m + 4) = old & ~kick;
        return Libc.Ioctl(vcpuFd, KvmAbi.KVM_SET_SIGNAL_MASK, m);
    }

    /// <summary>After KVM_RUN was interrupted: clears immediate_exit, then takes a pending kick (if any) off the thread.</summary>
    internal void ConsumeKick(byte* run)
    {
        Volatile.Write(ref *(run + KvmAbi.RunImmediateExit), 0);
        ulong set = 1UL << (KickSignal - 1);
        long* ts = stackalloc long[2];
        ts[0] = 0;
        ts[1] = 0;
        const int SYS_rt_sigtimedwait = 128;
        Libc.Syscall(SYS_rt_sigtimedwait, (long)&set, 0, (long)ts, 8, 0, 0);
    }
}
