using Csrunsc.Native;
using Csrunsc.Sentry.Fs.Socket.Host;

namespace Csrunsc.Sentry.Boot;

/// <summary>
/// The Sentry stops being host root once set-up is done (namespaces entered, chroot made, stub
/// written, gofer started), before the first stub runs: every thread takes a host uid and gid of
/// its own sandbox, with no supplementary groups, so the kernel clears every capability (the
/// stubs then run as that uid too, and no file of the host is owned by it). Code running in a
/// compromised Sentry can then signal or trace only its own sandbox's processes, and the host's
/// files only as "other". One thread is the exception, and only for the guest's network: the
/// namespace thread of <see cref="HostNetwork"/> keeps, of
///   CAP_NET_BIND_SERVICE (binds below port 1024),
///   CAP_NET_RAW (raw and packet sockets, SO_BINDTODEVICE),
///   CAP_NET_ADMIN (interface, address and route changes, privileged socket options),
/// exactly those the container's config grants its processes; privileged socket calls are run on
/// that thread (<see cref="HostNetwork.Privileged"/>) after the guest's own capability check.
/// </summary>
public static unsafe class HostPrivileges
{
    /// <summary>A range no distribution allocates (Debian's dynamic uids end below 2^31 far lower); one per sandbox.</summary>
    private const uint UidBase = 0x5A000000;

    private const ulong NetworkCapabilities = (1UL << 10) | (1UL << 12) | (1UL << 13);

    /// <summary>The host uid and gid of the sandbox whose sandbox process is pid (pids are below 2^22).</summary>
    public static uint SandboxUid(int pid) => UidBase + (uint)pid;

    /// <summary>Drops host root as described above: 0, or -errno with what failed.</summary>
    public static int Drop(HostNetwork? network, ulong guestCapabilities, out string? error)
    {
        error = null;
        uint id = SandboxUid(Libc.GetPid());
        if (network is not null && network.KeepCapabilitiesAcrossUidChange() is var k and < 0) return Fail(k, "PR_SET_KEEPCAPS", out error);
        if (Libc.SetGroups(0, null) < 0) return Fail(-Libc.LastErrno, "setgroups", out error);
        if (Libc.SetResGid(id, id, id) < 0) return Fail(-Libc.LastErrno, "setresgid", out error);
        if (Libc.SetResUid(id, id, id) < 0) return Fail(-Libc.LastErrno, "setresuid", out error);
        if (network is not null && network.LimitCapabilities(guestCapabilities & NetworkCapabilities) is var l and < 0)
            return Fail(l, "capset on the network thread", out error);
        // The uid change must have cleared this thread's sets (the others' went with it, by glibc's broadcast).
        if (!Libc.GetThreadCapabilities(out ulong effective, out ulong permitted) || effective != 0 || permitted != 0)
            return Fail(-Errno.EPERM, "capabilities survived the uid change", out error);
        return 0;
    }

    private static int Fail(int r, string what, out string error)
    {
        error = $"{what}: {Errno.Name(-r)}";
        return r;
    }
}
