using System.Text;
using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Tmpfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.File;

/// <summary>
/// memfd_create: an unlinked file of an internal tmpfs (Linux's shm_mnt), open read-write,
/// freed with its last description; seals (F_ADD_SEALS) only with MFD_ALLOW_SEALING.
/// </summary>
internal static class SysMemfd
{
    private const uint MFD_CLOEXEC = 1, MFD_ALLOW_SEALING = 2, MFD_HUGETLB = 4, MFD_NOEXEC_SEAL = 8, MFD_EXEC = 0x10;

    /// <summary>"memfd:" + name must fit NAME_MAX.</summary>
    private const int NameMax = 255 - 6;

    /// <summary>The internal mount every memfd lives in (never visible in the guest's tree).</summary>
    private static readonly TmpfsFileSystem s_fs = new("tmpfs");

    public static long MemfdCreate(Task t, in SyscallArguments a)
    {
        uint flags = (uint)a.A1;
        if ((flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC)) != 0) return -Errno.EINVAL;
        if ((flags & (MFD_NOEXEC_SEAL | MFD_EXEC)) == (MFD_NOEXEC_SEAL | MFD_EXEC)) return -Errno.EINVAL;
        // Huge pages and the exec seals (F_SEAL_EXEC) are not implemented: refused, not ignored.
        if ((flags & (MFD_HUGETLB | MFD_NOEXEC_SEAL)) != 0) return -Errno.EINVAL;
        Span<byte> buf = stackalloc byte[NameMax + 1];
        int len = 0;
        for (; len < buf.Length; len++)
        {
            if (t.CopyIn(a.A0 + (ulong)len, buf.Slice(len, 1)) < 0) return -Errno.EFAULT;
            if (buf[len] == 0) break;
        }
        if (len == buf.Length) return -Errno.EINVAL;
        string name = Encoding.UTF8.GetString(buf[..len]);
        var creds = t.ThreadGroup.Creds;
        var node = TmpfsRegularFile.Memfd(s_fs, name, (flags & MFD_ALLOW_SEALING) != 0, creds.Fsuid, creds.Fsgid);
        int r = node.Open(Libc.O_RDWR | Libc.O_LARGEFILE, out var file);
        if (r < 0) return r;
        return t.Fds.Add(file!, (flags & MFD_CLOEXEC) != 0);
    }
}
