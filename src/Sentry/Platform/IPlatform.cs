using Csrunsc.Native;

namespace Csrunsc.Sentry.Platform;

/// <summary>
/// How guest code is executed (gVisor's platform): ptrace stubs today, KVM later. An address space
/// is a set of host mappings of ranges of the memory file; a context runs one guest thread in it.
/// A context is owned by the OS thread that created or attached it and must be used only there.
/// </summary>
public interface IPlatform
{
    string Name { get; }

    /// <summary>Lowest and highest (exclusive) guest addresses the platform can map.</summary>
    ulong MinUserAddress { get; }
    ulong MaxUserAddress { get; }

    /// <summary>Creates a fresh, empty address space and its first context, owned by the calling thread.</summary>
    int NewAddressSpace(out IContext context);

    /// <summary>On the new task's thread: takes ownership of a thread prepared by <see cref="IContext.PrepareThread"/>.</summary>
    int AttachThread(ThreadHandle handle, out IContext context);

    /// <summary>
    /// Called (on a platform thread) with the <see cref="IContext.HostPid"/> of an address space whose
    /// host process died from outside while in use, so that the kernel can end the guest processes
    /// that ran there even if none of their threads is in the guest to notice.
    /// </summary>
    Action<int>? AddressSpaceLost { get; set; }
}

/// <summary>A thread created in an existing address space, waiting to be attached by its task's thread.</summary>
public readonly record struct ThreadHandle(int HostPid, int HostTid);

public enum SwitchResult
{
    /// <summary>The guest made a system call; regs hold it (OrigRax = number).</summary>
    Syscall,
    /// <summary>The guest faulted or trapped; info says which signal and address.</summary>
    Fault,
    /// <summary>Stopped early by <see cref="IContext.Interrupt"/> (or a stray host signal).</summary>
    Interrupted,
    /// <summary>
    /// The guest called into the legacy vsyscall page: info.Status holds the syscall number
    /// (gettimeofday, time or getcpu), regs its arguments, and the call has already returned
    /// (rip = the caller): only rax is left to set.
    /// </summary>
    Vsyscall,
    /// <summary>The context died (killed from outside); the task cannot continue.</summary>
    Dead,
}

/// <summary>One guest thread's execution context in an address space.</summary>
public interface IContext
{
    /// <summary>Runs guest code from regs until a syscall, fault or interrupt; regs are updated in place.</summary>
    SwitchResult Switch(ref UserRegs regs, out SigInfo info);

    /// <summary>Maps [addr, addr+length) to the memory file at fileOffset with prot (MAP_SHARED|MAP_FIXED).</summary>
    int Map(ulong addr, ulong length, int prot, long fileOffset);

    int Unmap(ulong addr, ulong length);

    /// <summary>Creates a new thread in this address space for another task to attach.</summary>
    int PrepareThread(out ThreadHandle handle);

    /// <summary>Floating-point/SSE state (FXSAVE format, 512 bytes).</summary>
    int GetFpState(Span<byte> fxsave);
    int SetFpState(ReadOnlySpan<byte> fxsave);

    /// <summary>From any thread: makes a running <see cref="Switch"/> return <see cref="SwitchResult.Interrupted"/> soon.</summary>
    void Interrupt();

    /// <summary>On the owning thread: ends this context; lastInAddressSpace tears the address space down too.</summary>
    void Release(bool lastInAddressSpace);

    /// <summary>Host pid/tid of the stub executing this context (for ps and the pid file).</summary>
    int HostPid { get; }
    int HostTid { get; }
}
