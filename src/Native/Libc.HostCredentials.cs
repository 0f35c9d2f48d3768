using System.Runtime.InteropServices;

namespace Csrunsc.Native;

/// <summary>
/// The host credentials of csrunsc's own processes (the Sentry gives up host root after set-up).
/// glibc applies setresuid/setresgid/setgroups to every thread of the process; capset and
/// PR_SET_KEEPCAPS apply to the calling thread only.
/// </summary>
public static unsafe partial class Libc
{
    public const int PR_SET_KEEPCAPS = 8;
    public const uint LINUX_CAPABILITY_VERSION_3 = 0x20080522;

    [LibraryImport(Lib, EntryPoint = "setresuid", SetLastError = true)]
    public static partial int SetResUid(uint ruid, uint euid, uint suid);
    [LibraryImport(Lib, EntryPoint = "setresgid", SetLastError = true)]
    public static partial int SetResGid(uint rgid, uint egid, uint sgid);
    [LibraryImport(Lib, EntryPoint = "setgroups", SetLastError = true)]
    public static partial int SetGroups(nuint size, uint* list);
    [LibraryImport(Lib, EntryPoint = "capget", SetLastError = true)]
    public static partial int CapGet(CapHeader* header, CapData* data);
    [LibraryImport(Lib, EntryPoint = "capset", SetLastError = true)]
    public static partial int CapSet(CapHeader* header, CapData* data);

    /// <summary>The calling thread's capability sets (version 3: two 32-bit words each), or false.</summary>
    public static bool GetThreadCapabilities(out ulong effective, out ulong permitted)
    {
        var h = new CapHeader { Version = LINUX_CAPABILITY_VERSION_3 };
        CapData* d = stackalloc CapData[2];
        effective = permitted = 0;
        if (CapGet(&h, d) < 0) return false;
        effective = d[0].Effective | ((ulong)d[1].Effective << 32);
        permitted = d[0].Permitted | ((ulong)d[1].Permitted << 32);
        return true;
    }

    /// <summary>Sets the calling thread's effective and permitted sets to mask (inheritable empty): 0 or -errno.</summary>
    public static int SetThreadCapabilities(ulong mask)
    {
        var h = new CapHeader { Version = LINUX_CAPABILITY_VERSION_3 };
        CapData* d = stackalloc CapData[2];
        d[0] = new CapData { Effective = (uint)mask, Permitted = (uint)mask };
        d[1] = new CapData { Effective = (uint)(mask >> 32), Permitted = (uint)(mask >> 32) };
        return CapSet(&h, d) < 0 ? -LastErrno : 0;
    }
}

[StructLayout(LayoutKind.Sequential)]
public struct CapHeader
{
    public uint Version;
    public int Pid;
}

[StructLayout(LayoutKind.Sequential)]
public struct CapData
{
    public uint Effective;
    public uint Permitted;
    public uint Inheritable;
}
