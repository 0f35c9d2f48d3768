using System.Buffers.Binary;
using System.Globalization;
using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Kernel.Ipc;
using Csrunsc.Sentry.Memory;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Ipc;

/// <summary>shmget, shmat, shmdt, shmctl: SysV shared memory (ipc/shm.c) over the memory file's shared pages.</summary>
internal static class SysShm
{
    /// <summary>SHMLBA on x86-64: the page size.</summary>
    private const ulong Shmlba = MemoryFile.PageSize;

    public static long Shmget(Task t, in SyscallArguments a)
    {
        int key = a.Int(0), flags = a.Int(2);
        ulong size = a.A1;
        // Huge pages need hugetlbfs, which the Sentry does not have.
        if ((flags & ShmSegment.SHM_HUGETLB) != 0) return -Errno.EINVAL;
        var ns = IpcCommon.Ns(t);
        int pid = t.ThreadGroup.Tgid;
        return ns.Shm.Get(t, key, flags,
            seg => seg.Size < size ? -Errno.EINVAL : 0,
            () =>
            {
                var seg = new ShmSegment(ns, size, pid);
                ns.ShmTotalPages += seg.PageCount;
                return seg;
            },
            () =>
            {
                if (size < 1 || size > ns.ShmMax) return -Errno.EINVAL;
                if (size > long.MaxValue) return -Errno.EINVAL; // MAX_LFS_FILESIZE of the segment's shmem file
                ulong pages = (size + MemoryFile.PageSize - 1) / MemoryFile.PageSize;
                if (pages * MemoryFile.PageSize < size) return -Errno.ENOSPC;
                if (ns.ShmTotalPages + pages < ns.ShmTotalPages || ns.ShmTotalPages + pages > ns.ShmAll) return -Errno.ENOSPC;
                if ((flags & ShmSegment.SHM_NORESERVE) == 0 && size > ns.ReservableBytes) return -Errno.ENOMEM;
                return 0;
            });
    }

    public static long Shmat(Task t, in SyscallArguments a)
    {
        int id = a.Int(0), flags = a.Int(2);
        ulong addr = a.A1;
        if (id < 0) return -Errno.EINVAL;
        if ((addr & (Shmlba - 1)) != 0)
        {
            if ((flags & ShmSegment.SHM_RND) == 0) return -Errno.EINVAL;
            addr &= ~(Shmlba - 1);
            if (addr == 0 && (flags & ShmSegment.SHM_REMAP) != 0) return -Errno.EINVAL;
        }
        int prot = Libc.PROT_READ, access = IpcCommon.Read;
        if ((flags & ShmSegment.SHM_RDONLY) == 0)
        {
            prot |= Libc.PROT_WRITE;
            access |= IpcCommon.Write;
        }
        if ((flags & ShmSegment.SHM_EXEC) != 0)
        {
            prot |= Libc.PROT_EXEC;
            access |= 0x49; // S_IXUGO
        }
        var ns = IpcCommon.Ns(t);
        ShmSegment? seg;
        lock (ns.Shm.Lock)
        {
            seg = ns.Shm.FindId(id);
            if (seg is null) return -Errno.EINVAL;
            if (!seg.MayAccess(t, access)) return -Errno.EACCES;
            // Held across the mapping (the address space's lock is never taken under this one),
            // so a concurrent IPC_RMID cannot free the pages meanwhile.
            seg.Nattch++;
            seg.Attached(t.ThreadGroup.Tgid);
        }
        string name = "/SYSV" + seg.Key.ToString("x8", CultureInfo.InvariantCulture) + " (deleted)";
        bool fixedAddr = addr != 0;
        long r = t.Mm.Map(t.Context, addr, seg.Size, prot, fixedAddr, fixedAddr && (flags & ShmSegment.SHM_REMAP) == 0,
            shared: true, null, 0, name, seg.Pages, seg, mayWrite: (flags & ShmSegment.SHM_RDONLY) == 0);
        lock (ns.Shm.Lock)
        {
            seg.Nattch--;
            seg.DestroyIfUnused();
        }
        return r == -Errno.EEXIST ? -Errno.EINVAL : r;
    }

    public static long Shmdt(Task t, in SyscallArguments a) => t.Mm.Detach(t.Context, a.A0);

    public static long Shmctl(Task t, in SyscallArguments a)
    {
        int id = a.Int(0), cmd = a.Int(1);
        ulong buf = a.A2;
        if (cmd < 0 || id < 0) return -Errno.EINVAL;
        var ns = IpcCommon.Ns(t);
        var reg = ns.Shm;
        switch (cmd)
        {
            case IpcObject.IPC_INFO:
            {
                Span<ulong> info = stackalloc ulong[9];
                info.Clear();
                int maxIndex;
                lock (reg.Lock)
                {
                    maxIndex = reg.MaxIndex;
                    info[0] = ns.ShmMax;
                    info[1] = 1;
                    info[2] = (ulong)reg.Mni;
                    info[3] = IpcNamespace.DefaultShmMni;
                    info[4] = ns.ShmAll;
                }
                if (t.CopyOut(buf, System.Runtime.InteropServices.MemoryMarshal.AsBytes(info)) < 0) return -Errno.EFAULT;
                return Math.Max(maxIndex, 0);
            }
            case ShmSegment.SHM_INFO:
            {
                Span<byte> info = stackalloc byte[48];
                info.Clear();
                int maxIndex;
                lock (reg.Lock)
                {
                    maxIndex = reg.MaxIndex;
                    long rss = 0;
                    foreach (var s in reg.All()) rss += s.Pages.MaterializedPages;
                    BinaryPrimitives.WriteInt32LittleEndian(info, reg.InUse);
                    BinaryPrimitives.WriteUInt64LittleEndian(info[8..], ns.ShmTotalPages);
                    BinaryPrimitives.WriteInt64LittleEndian(info[16..], rss);
                }
                if (t.CopyOut(buf, info) < 0) return -Errno.EFAULT;
                return Math.Max(maxIndex, 0);
            }
            case IpcObject.IPC_STAT:
            case ShmSegment.SHM_STAT:
            case ShmSegment.SHM_STAT_ANY:
            {
                Span<byte> ds = stackalloc byte[ShmSegment.DsSize];
                int result;
                lock (reg.Lock)
                {
                    var seg = cmd == IpcObject.IPC_STAT ? reg.FindId(id) : reg.AtIndex(id);
                    if (seg is null) return -Errno.EINVAL;
                    if (cmd != ShmSegment.SHM_STAT_ANY && !seg.MayAccess(t, IpcCommon.Read)) return -Errno.EACCES;
                    seg.WriteDs(ds);
                    result = cmd == IpcObject.IPC_STAT ? 0 : seg.Id;
                }
                if (t.CopyOut(buf, ds) < 0) return -Errno.EFAULT;
                return result;
            }
            case IpcObject.IPC_SET:
            {
                Span<byte> ds = stackalloc byte[ShmSegment.DsSize];
                if (t.CopyIn(buf, ds) < 0) return -Errno.EFAULT;
                lock (reg.Lock)
                {
                    var seg = reg.FindId(id);
                    if (seg is null) return -Errno.EINVAL;
                    if (!seg.MayControl(t)) return -Errno.EPERM;
                    if (!IpcObject.ValidPerm(ds)) return -Errno.EINVAL;
                    seg.SetPerm(ds);
                }
                return 0;
            }
            case IpcObject.IPC_RMID:
                lock (reg.Lock)
                {
                    var seg = reg.FindId(id);
                    if (seg is null) return -Errno.EINVAL;
                    if (!seg.MayControl(t)) return -Errno.EPERM;
                    seg.MarkDestroyed();
                }
                return 0;
            case ShmSegment.SHM_LOCK:
            case ShmSegment.SHM_UNLOCK:
                lock (reg.Lock)
                {
                    var seg = reg.FindId(id);
                    if (seg is null) return -Errno.EINVAL;
                    if (!Capabilities.Has(t, Capabilities.IPC_LOCK))
                    {
                        uint euid = t.ThreadGroup.Creds.Euid;
                        if (euid != seg.Uid && euid != seg.Cuid) return -Errno.EPERM;
                    }
                    // Recorded (IPC_STAT shows SHM_LOCKED) but nothing is pinned: memory-file pages are never swapped.
                    if (cmd == ShmSegment.SHM_LOCK) seg.Mode |= ShmSegment.SHM_LOCKED;
                    else seg.Mode &= ~ShmSegment.SHM_LOCKED;
                }
                return 0;
            default:
                return -Errno.EINVAL;
        }
    }
}
