namespace Csrunsc.Sentry.Kernel.Ipc;

/// <summary>
/// An IPC namespace: the SysV shared memory, semaphore and message queue ids and the POSIX message
/// queues, with Linux's default limits (what /proc/sys/kernel/shm*, sem and msg* show). A sandbox
/// has one: each container runs its own Sentry, so containers never see each other's objects.
/// </summary>
public sealed class IpcNamespace
{
    // include/uapi/linux/shm.h, sem.h, msg.h defaults.
    public const ulong DefaultShmMax = ulong.MaxValue - (1UL << 24);
    public const ulong DefaultShmAll = ulong.MaxValue - (1UL << 24);
    public const int DefaultShmMni = 4096;
    public const int SemMsl = 32000, SemMni = 32000, SemMns = SemMni * SemMsl, SemOpm = 500, SemVmx = 32767, SemAem = SemVmx;
    public const int MsgMax = 8192, MsgMnb = 16384, MsgMni = 32000;

    public readonly IpcRegistry<ShmSegment> Shm = new(DefaultShmMni);
    public readonly IpcRegistry<SemSet> Sem = new(SemMni);
    public readonly IpcRegistry<MsgQueue> Msg = new(MsgMni);

    public ulong ShmMax = DefaultShmMax;
    public ulong ShmAll = DefaultShmAll;

    /// <summary>Pages of every shared memory segment (shm_tot), against shmall.</summary>
    public ulong ShmTotalPages;

    public IpcNamespace(Memory.MemoryFile memory)
    {
        Memory = memory;
        Mqueue = new Fs.Mqueue.MqueueFileSystem();
    }

    public Memory.MemoryFile Memory { get; }

    /// <summary>The POSIX message queues: the one mqueue filesystem every mqueue mount of the namespace shows.</summary>
    public Fs.Mqueue.MqueueFileSystem Mqueue { get; }
}
