using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Memory;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Memory;

/// <summary>mmap, munmap, mprotect, brk, mremap, madvise and friends.</summary>
internal static class SysMemory
{
    public static long Mmap(Task t, in SyscallArguments a)
    {
        ulong addr = a.A0, length = a.A1;
        int prot = a.Int(2), flags = a.Int(3), fd = a.Int(4);
        long offset = (long)a.A5;
        if ((offset & 0xFFF) != 0 || length == 0) return -Errno.EINVAL;
        bool shared = (flags & 3) == Libc.MAP_SHARED || (flags & 3) == MAP_SHARED_VALIDATE;
        bool priv = (flags & 3) == Libc.MAP_PRIVATE;
        if (!shared && !priv) return -Errno.EINVAL;
        // do_mmap: anonymous memory knows only MAP_SHARED and MAP_PRIVATE.
        if ((flags & Libc.MAP_ANONYMOUS) != 0 && (flags & 3) == MAP_SHARED_VALIDATE) return -Errno.EINVAL;
        ulong pages = PageUp(length) >> 12, pgoff = (ulong)offset >> 12;
        if (pages == 0) return -Errno.ENOMEM;
        if (pgoff + pages < pgoff) return -Errno.EOVERFLOW;
        bool fixedAddr = (flags & (Libc.MAP_FIXED | Libc.MAP_FIXED_NOREPLACE)) != 0;
        Vfs.FileDescription? file = null;
        string name = "";
        if ((flags & Libc.MAP_ANONYMOUS) == 0)
        {
            file = t.Fds.Get(fd);
            if (file is null || (file.Flags & Libc.O_PATH) != 0) return -Errno.EBADF;
            // file_mmap_ok: the mapped range must fit below the largest file offset.
            if (pgoff > ((ulong)long.MaxValue - (pages << 12)) >> 12) return -Errno.EOVERFLOW;
            if (!file.Readable) return -Errno.EACCES;
            if (shared && (prot & Libc.PROT_WRITE) != 0 && !file.Writable) return -Errno.EACCES;
            if (shared && (prot & Libc.PROT_WRITE) != 0 && file.Inode is Fs.Tmpfs.TmpfsRegularFile { WriteSealed: true }) return -Errno.EPERM;
            if (file.Inode is null || !Vfs.FileMode.IsRegular(file.Inode.Mode))
            {
                // /dev/zero maps as anonymous memory (shared: shared anonymous); no other device maps.
                if (file is Fs.Dev.MemoryDeviceFileDescription { Kind: Fs.Dev.MemoryDeviceKind.Zero }) file = null;
                else return -Errno.ENODEV;
            }
            if ((prot & Libc.PROT_EXEC) != 0 && file?.Location?.Mount.NoExec == true) return -Errno.EPERM;
            name = file?.Location?.AbsolutePath ?? "";
        }
        int lockCheck = SysMlock.CheckMapLocked(t, flags, PageUp(length), out bool locked);
        if (lockCheck < 0) return lockCheck;
        int limit = Kernel.Rlimits.CheckAddressSpace(t, PageUp(length));
        if (limit < 0) return limit;
        long r = t.Mm.Map(t.Context, addr, length, prot, fixedAddr, (flags & Libc.MAP_FIXED_NOREPLACE) != 0,
            shared, file, offset, name, mayWrite: !shared || file is null || file.Writable, low32: (flags & Libc.MAP_32BIT) != 0);
        if (r >= 0 && locked) t.Mm.SetLocked((ulong)r, (ulong)r + PageUp(length), true);
        return r;
    }

    private const int MAP_SHARED_VALIDATE = 3;

    public const int MS_ASYNC = 1, MS_INVALIDATE = 2, MS_SYNC = 4;

    public static long Msync(Task t, in SyscallArguments a)
    {
        int flags = a.Int(2);
        if ((flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) != 0 || (flags & (MS_ASYNC | MS_SYNC)) == (MS_ASYNC | MS_SYNC))
            return -Errno.EINVAL;
        // MS_INVALIDATE of locked pages: EBUSY (msync's VM_LOCKED check).
        if ((flags & MS_INVALIDATE) != 0 && (a.A0 & 0xFFF) == 0 && t.Mm.LockedBytesIn(a.A0 & ~0xFFFUL, PageUp(a.A0 + a.A1)) != 0) return -Errno.EBUSY;
        return t.Mm.Sync(a.A0, a.A1);
    }

    public static long Munmap(Task t, in SyscallArguments a) => t.Mm.Unmap(t.Context, a.A0, a.A1);

    public static long Mprotect(Task t, in SyscallArguments a) => t.Mm.Protect(t.Context, a.A0, a.A1, a.Int(2) & 7);

    public static long Brk(Task t, in SyscallArguments a)
    {
        // RLIMIT_AS and RLIMIT_DATA: a heap that would grow past them stays where it is (brk answers
        // the old end). RLIMIT_DATA counts the heap only, not the executable's data segment as Linux's check_data_rlimit.
        ulong end = t.Mm.BrkEnd;
        if (a.A0 > end && PageUp(a.A0) > PageUp(end) && Kernel.Rlimits.CheckAddressSpace(t, PageUp(a.A0) - PageUp(end)) < 0) return (long)end;
        ulong dataLimit = Kernel.Rlimits.Cur(t.ThreadGroup, Kernel.Rlimits.DATA);
        if (a.A0 > end && dataLimit != Kernel.Rlimits.Infinity && a.A0 > t.Mm.BrkStart && a.A0 - t.Mm.BrkStart > dataLimit) return (long)end;
        return (long)t.Mm.Brk(t.Context, a.A0);
    }

    public static long Mremap(Task t, in SyscallArguments a)
    {
        if (PageUp(a.A2) > PageUp(a.A1) && Kernel.Rlimits.CheckAddressSpace(t, PageUp(a.A2) - PageUp(a.A1)) < 0) return -Errno.ENOMEM;
        return t.Mm.Remap(t.Context, a.A0, a.A1, a.A2, a.Int(3), a.A4);
    }

    private static ulong PageUp(ulong v) => (v + 0xFFF) & ~0xFFFUL;

    private const int MADV_HWPOISON = 100, MADV_SOFT_OFFLINE = 101, MADV_GUARD_INSTALL = 102, MADV_GUARD_REMOVE = 103;

    /// <summary>
    /// madvise, in do_madvise's order: known advice, alignment, length, then the VMAs. Guard pages
    /// (6.13's GUARD_INSTALL/REMOVE) answer EINVAL as on kernels before them (glibc falls back);
    /// memory-failure injection needs CAP_SYS_ADMIN and is refused even with it.
    /// </summary>
    public static long Madvise(Task t, in SyscallArguments a)
    {
        int advice = a.Int(2);
        bool known = advice is >= MemoryManager.MADV_NORMAL and <= MemoryManager.MADV_WILLNEED
            or >= MemoryManager.MADV_DONTNEED and <= MemoryManager.MADV_COLLAPSE and not (5 or 6 or 7)
            or MADV_HWPOISON or MADV_SOFT_OFFLINE;
        if (!known) return -Errno.EINVAL;
        ulong start = a.A0, lengthIn = a.A1;
        if ((start & 0xFFF) != 0) return -Errno.EINVAL;
        ulong length = PageUp(lengthIn);
        if (lengthIn != 0 && length == 0) return -Errno.EINVAL;
        ulong end = start + length;
        if (end < start) return -Errno.EINVAL;
        if (end == start) return 0;
        if (advice is MADV_HWPOISON or MADV_SOFT_OFFLINE)
            return Capabilities.Has(t, Capabilities.SYS_ADMIN) ? -Errno.EINVAL : -Errno.EPERM;
        return t.Mm.Advise(start, end, advice);
    }

    public static long Mincore(Task t, in SyscallArguments a)
    {
        if ((a.A0 & 0xFFF) != 0) return -Errno.EINVAL;
        if (a.A1 > ulong.MaxValue - 0xFFF || a.A0 + ((a.A1 + 0xFFF) & ~0xFFFUL) < a.A0) return -Errno.ENOMEM;
        ulong pages = (a.A1 + 0xFFF) / 0x1000;
        for (ulong i = 0; i < pages; i++)
        {
            if (t.Mm.Find(a.A0 + i * 0x1000) is null) return -Errno.ENOMEM;
            if (t.WriteStruct(a.A2 + i, (byte)1) < 0) return -Errno.EFAULT;
        }
        return 0;
    }
}
