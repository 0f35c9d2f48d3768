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
    public const int DefaultSemMsl = 32000, DefaultSemMni = 32000, DefaultSemMns = DefaultSemMni * DefaultSemMsl, DefaultSemOpm = 500;
    public const int SemVmx = 32767, SemAem = SemVmx;
    public const int DefaultMsgMax = 8192, DefaultMsgMnb = 16384, DefaultMsgMni = 32000;
    /// <summary>IPCMNI: the most ids of one kind a namespace can hold (the bound of shmmni, msgmni, semmni).</summary>
    public const int IpcMni = 32768;

    public readonly IpcRegistry<ShmSegment> Shm = new(DefaultShmMni);
    public readonly IpcRegistry<SemSet> Sem = new(DefaultSemMni);
    public readonly IpcRegistry<MsgQueue> Msg = new(DefaultMsgMni);

    // The namespace's tunables (kernel.shm*, kernel.sem, kernel.msg*; config.json's linux.sysctl sets them, IpcSysctls).
    public ulong ShmMax = DefaultShmMax;
    public ulong ShmAll = DefaultShmAll;
    public int SemMsl = DefaultSemMsl, SemMns = DefaultSemMns, SemOpm = DefaultSemOpm;
    public int MsgMax = DefaultMsgMax, MsgMnb = DefaultMsgMnb;

    /// <summary>
    /// RAM + swap of the host (its /proc/meminfo at boot): a segment made without SHM_NORESERVE
    /// larger than this answers ENOMEM, as Linux's heuristic overcommit check refuses it.
    /// </summary>
    public ulong ReservableBytes = ulong.MaxValue;

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
