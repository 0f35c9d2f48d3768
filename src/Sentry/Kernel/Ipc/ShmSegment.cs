using System.Buffers.Binary;
using Csrunsc.Sentry.Memory;

namespace Csrunsc.Sentry.Kernel.Ipc;

/// <summary>
/// A SysV shared memory segment (shmid_kernel). Its pages are a <see cref="SharedPages"/> of the
/// memory file, as a MAP_SHARED anonymous mapping's: every attachment, in any process, maps the
/// same pages (filled on first touch). Each VMA of an attachment is counted in shm_nattch through
/// <see cref="IVmaOps"/>, so fork, exec, exit and munmap keep the count as Linux does; a segment
/// marked for removal (SHM_DEST) is destroyed when the count reaches zero.
/// Guarded by the namespace's shm registry lock.
/// </summary>
public sealed class ShmSegment : IpcObject, IVmaOps
{
    public const int SHM_RDONLY = 0x1000, SHM_RND = 0x2000, SHM_REMAP = 0x4000, SHM_EXEC = 0x8000;
    public const int SHM_HUGETLB = 0x800, SHM_NORESERVE = 0x1000;
    public const int SHM_LOCK = 11, SHM_UNLOCK = 12, SHM_STAT = 13, SHM_INFO = 14, SHM_STAT_ANY = 15;
    public const uint SHM_DEST = 0x200, SHM_LOCKED = 0x400;

    /// <summary>sizeof(struct shmid64_ds) on x86-64.</summary>
    public const int DsSize = 112;

    private readonly IpcNamespace _ns;

    public ShmSegment(IpcNamespace ns, ulong size, int creatorPid)
    {
        _ns = ns;
        Size = size;
        Cpid = creatorPid;
        Pages = SharedPages.Anonymous(ns.Memory);
    }

    public ulong Size { get; }
    public ulong PageCount => (Size + MemoryFile.PageSize - 1) / MemoryFile.PageSize;
    public SharedPages Pages { get; }
    public long Nattch;
    public long AtimeSec, DtimeSec;
    public int Cpid, Lpid;
    private bool _destroyed;

    ulong IVmaOps.AttachSize => Size;

    /// <summary>shmat: the attaching process (the VMA's Open counts it).</summary>
    public void Attached(int pid)
    {
        AtimeSec = NowSec();
        Lpid = pid;
    }

    void IVmaOps.Open()
    {
        lock (_ns.Shm.Lock) Nattch++;
    }

    void IVmaOps.Close()
    {
        lock (_ns.Shm.Lock)
        {
            Nattch--;
            DtimeSec = NowSec();
            if (Task.Current is { } t) Lpid = t.ThreadGroup.Tgid;
            DestroyIfUnused();
        }
    }

    /// <summary>IPC_RMID: gone now if nothing is attached, else once the last attachment goes (the key becomes private).</summary>
    public void MarkDestroyed()
    {
        Mode |= SHM_DEST;
        Key = IPC_PRIVATE;
        DestroyIfUnused();
    }

    /// <summary>Under the registry lock: frees the segment once it is marked and unattached.</summary>
    public void DestroyIfUnused()
    {
        if (_destroyed || Nattch > 0 || (Mode & SHM_DEST) == 0) return;
        _destroyed = true;
        _ns.Shm.Remove(this);
        _ns.ShmTotalPages -= PageCount;
        Pages.Release();
    }

    /// <summary>Writes struct shmid64_ds.</summary>
    public void WriteDs(Span<byte> b)
    {
        b[..DsSize].Clear();
        WritePerm(b);
        BinaryPrimitives.WriteUInt64LittleEndian(b[48..], Size);
        BinaryPrimitives.WriteInt64LittleEndian(b[56..], AtimeSec);
        BinaryPrimitives.WriteInt64LittleEndian(b[64..], DtimeSec);
        BinaryPrimitives.WriteInt64LittleEndian(b[72..], CtimeSec);
        BinaryPrimitives.WriteInt32LittleEndian(b[80..], Cpid);
        BinaryPrimitives.WriteInt32LittleEndian(b[84..], Lpid);
        BinaryPrimitives.WriteInt64LittleEndian(b[88..], Nattch);
    }
}
