using System.Runtime.InteropServices;
using Csrunsc.Native;

namespace Csrunsc.Gofer.Server;

/// <summary>
/// Every open the gofer makes: one checked component (or ".") under a held directory fd, resolved
/// with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS), so even a name
/// that slipped past <see cref="ComponentName"/> could not climb with "..", jump with an absolute
/// or magic link, or follow a symlink swapped in by a racing rename. RESOLVE_NO_XDEV is not set:
/// the rootfs may hold submounts that the container sees. Where the host has no openat2 (before
/// Linux 5.6) it falls back to openat with O_NOFOLLOW, which is the same for a single component.
/// </summary>
internal static unsafe class BeneathOpen
{
    private const long SYS_openat2 = 437;
    private const ulong RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_NO_SYMLINKS = 0x04, RESOLVE_BENEATH = 0x08;

    /// <summary>The resolution every gofer open asks for.</summary>
    public const ulong Resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS;

    /// <summary>sizeof(struct open_how); the seccomp filter pins openat2's size argument to it.</summary>
    public const int OpenHowSize = 24;

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    /// <summary>Cleared the first time the host answers ENOSYS.</summary>
    private static bool _haveOpenat2 = true;

    /// <summary>Whether opens go through openat2 (false on hosts without it).</summary>
    public static bool UsesOpenat2 => _haveOpenat2;

    /// <summary>Opens <paramref name="nameZ"/> (NUL-terminated) under <paramref name="dirFd"/>; O_NOFOLLOW is always added. fd, or -1 with errno set.</summary>
    public static int At(int dirFd, byte* nameZ, int flags, int mode = 0)
    {
        flags |= Libc.O_NOFOLLOW;
        if (_haveOpenat2)
        {
            var how = new OpenHow
            {
                Flags = (uint)flags,
                Mode = (flags & Libc.O_CREAT) != 0 ? (ulong)(mode & 0xFFF) : 0,
                Resolve = Resolve,
            };
            for (int attempt = 0; ; attempt++)
            {
                long fd = Libc.Syscall(SYS_openat2, dirFd, (long)nameZ, (long)&how, OpenHowSize, 0, 0);
                if (fd >= 0) return (int)fd;
                int e = Libc.LastErrno;
                // EAGAIN: a concurrent rename raced the resolution (the kernel refuses rather than guess).
                if ((e == Errno.EAGAIN || e == Errno.EINTR) && attempt < 16) continue;
                if (e != Errno.ENOSYS) return -1;
                _haveOpenat2 = false;
                break;
            }
        }
        return Libc.OpenAt(dirFd, nameZ, flags, mode);
    }
}
