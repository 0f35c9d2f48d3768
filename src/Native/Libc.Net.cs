using System.Runtime.InteropServices;

namespace Csrunsc.Native;

/// <summary>Host networking for the guest's sockets: namespaces, socket options, interface ioctls.</summary>
public static unsafe partial class Libc
{
    public const int AF_INET = 2, AF_INET6 = 10, AF_NETLINK = 16, AF_PACKET = 17;
    public const int SOCK_NONBLOCK = 0x800;
    public const int NETLINK_ROUTE = 0;

    /// <summary>ioctl on a namespace fd: which type it is (CLONE_NEW*).</summary>
    public const ulong NS_GET_NSTYPE = 0xb703;
    public const ulong SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914;
    public const short IFF_UP = 0x1;

    [LibraryImport(Lib, EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNs(int fd, int nstype);
    [LibraryImport(Lib, EntryPoint = "gethostname", SetLastError = true)]
    public static partial int GetHostname(byte* name, nuint len);
    [LibraryImport(Lib, EntryPoint = "sethostname", SetLastError = true)]
    public static partial int SetHostname(byte* name, nuint len);
    [LibraryImport(Lib, EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, void* value, int* len);
    [LibraryImport(Lib, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, int len);
    [LibraryImport(Lib, EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSockName(int fd, void* addr, int* len);
    [LibraryImport(Lib, EntryPoint = "getpeername", SetLastError = true)]
    public static partial int GetPeerName(int fd, void* addr, int* len);

    /// <summary>The CLONE_NEW* type of a namespace fd, or -errno (ENOTTY/EINVAL: not a namespace file).</summary>
    public static int NamespaceType(int fd)
    {
        int r = Ioctl(fd, NS_GET_NSTYPE, null);
        return r < 0 ? -LastErrno : r;
    }
}

/// <summary>struct ifreq with the flags member (SIOCGIFFLAGS/SIOCSIFFLAGS): 16-byte name then a union of 24 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Size = 40)]
public unsafe struct IfReqFlags
{
    public fixed byte Name[16];
    public short Flags;
}
