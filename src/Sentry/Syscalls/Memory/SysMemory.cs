using Csrunsc.Native;
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
        bool shared = (flags & 3) == Libc.MAP_SHARED || (flags & 3) == 3;
        bool priv = (flags & 3) == Libc.MAP_PRIVATE;
        if (!shared && !priv) return -Errno.EINVAL;
        bool fixedAddr = (flags & (Libc.MAP_FIXED | Libc.MAP_FIXED_NOREPLACE)) != 0;
        Vfs.FileDescription? file = null;
        string name = "";
        if ((flags & Libc.MAP_ANONYMOUS) == 0)
        {
            file = t.Fds.Get(fd);
            if (file is null) return -Errno.EBADF;
            if (!file.Readable) return -Errno.EACCES;
            if (shared && (prot & Libc.PROT_WRITE) != 0 && !file.Writable) return -Errno.EACCES;
            if (shared && (prot & Libc.PROT_WRITE) != 0 && file.Inode is Fs.Tmpfs.TmpfsRegularFile { WriteSealed: true }) return -Errno.EPERM;
            if (file.Inode is null || !Vfs.FileMode.IsRegular(file.Inode.Mode))
            {
                // Device files such as /dev/zero map as anonymous memory.
                if (file.Inode is not null && (file.Inode.Mode & Vfs.FileMode.TypeMask) == Vfs.FileMode.CharDevice) file = null;
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
        // RLIMIT_AS: a heap that would grow past it stays where it is (brk answers the old end).
        ulong end = t.Mm.BrkEnd;
        if (a.A0 > end && PageUp(a.A0) > PageUp(end) && Kernel.Rlimits.CheckAddressSpace(t, PageUp(a.A0) - PageUp(end)) < 0) return (long)end;
        return (long)t.Mm.Brk(t.Context, a.A0);
    }

    public static long Mremap(Task t, in SyscallArguments a)
    {
        if (PageUp(a.A2) > PageUp(a.A1) && Kernel.Rlimits.CheckAddressSpace(t, PageUp(a.A2) - PageUp(a.A1)) < 0) return -Errno.ENOMEM;
        return t.Mm.Remap(t.Context, a.A0, a.A1, a.A2, a.Int(3), a.A4);
    }

    private static ulong PageUp(ulong v) => (v + 0xFFF) & ~0xFFFUL;

    public const int MADV_DONTNEED = 4, MADV_FREE = 8, MADV_REMOVE = 9;

    public static long Madvise(Task t, in SyscallArguments a)
    {
        if ((a.A0 & 0xFFF) != 0) return -Errno.EINVAL;
        int advice = a.Int(2);
        // madvise_dontneed_free_valid_vma: locked memory cannot be dropped.
        if ((advice == MADV_DONTNEED || advice == MADV_FREE) && t.Mm.LockedBytesIn(a.A0, a.A0 + PageUp(a.A1)) != 0) return -Errno.EINVAL;
        if (advice == MADV_DONTNEED)
        {
            // Anonymous private pages read back as zeros afterwards (glibc drops dead thread stacks so).
            t.Mm.Discard(a.A0, a.A1);
        }
        return 0;
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

    public static long Ok(Task t, in SyscallArguments a) => 0;
}
