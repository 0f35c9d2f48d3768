using Csrunsc.Native;

namespace Csrunsc.Gofer.Server;

/// <summary>
/// THE capabilities the confined gofer keeps (gVisor's gofer keeps the same file set), each for
/// the requests that need it; everything else (CAP_SYS_ADMIN, CAP_SYS_CHROOT once the chroot is
/// made, CAP_MKNOD: device nodes are never made, CAP_SETUID, CAP_KILL, CAP_NET_*, ...) is gone:
///   CAP_CHOWN           Create/Mkdir/Mknod/Symlink give the new file the guest's uid and gid; SetAttr chown.
///   CAP_DAC_OVERRIDE    the Sentry checks the guest's permissions itself; the gofer opens, creates
///                       and removes whatever the guest may, whatever the host mode bits say.
///   CAP_DAC_READ_SEARCH the same for reading and searching directories.
///   CAP_FOWNER          chmod/utimensat/O_NOATIME of files it does not own, sticky-directory
///                       unlink/rename, hard links of others' files (protected_hardlinks).
///   CAP_FSETID          set-group-id bits that the guest asks for survive chmod and chown.
/// The gofer also stops being host root: every thread takes the sandbox's host uid and gid (the
/// Sentry's, see Sentry/Boot/HostPrivileges), which clears every thread's capabilities (glibc
/// broadcasts setresuid); only the serving thread, which set PR_SET_KEEPCAPS, gets the set above
/// back. Host files it creates belong to that uid only until the chown the request carries.
/// </summary>
public static class GoferCapabilities
{
    public const int CAP_CHOWN = 0, CAP_DAC_OVERRIDE = 1, CAP_DAC_READ_SEARCH = 2, CAP_FOWNER = 3, CAP_FSETID = 4;

    private const int PR_CAPBSET_DROP = 24, LastCapability = 63;

    /// <summary>The serving thread's effective and permitted set (0x1f).</summary>
    public const ulong Kept = (1UL << CAP_CHOWN) | (1UL << CAP_DAC_OVERRIDE) | (1UL << CAP_DAC_READ_SEARCH)
        | (1UL << CAP_FOWNER) | (1UL << CAP_FSETID);

    /// <summary>
    /// Takes host uid and gid <paramref name="id"/> on every thread and keeps <see cref="Kept"/> on
    /// the calling thread only: 0, or -errno with the failed step.
    /// </summary>
    public static unsafe int Drop(uint id, out string? failedStep)
    {
        failedStep = null;
        // The bounding set too (needs CAP_SETPCAP, so before the uid change): nothing regained by any exec.
        for (int cap = 0; cap <= LastCapability; cap++)
        {
            if ((Kept & (1UL << cap)) != 0) continue;
            if (Libc.Prctl(PR_CAPBSET_DROP, (ulong)cap, 0, 0, 0) < 0 && Libc.LastErrno != Errno.EINVAL) return Fail("PR_CAPBSET_DROP", out failedStep);
        }
        if (Libc.Prctl(Libc.PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return Fail("PR_SET_KEEPCAPS", out failedStep);
        if (Libc.SetGroups(0, null) < 0) return Fail("setgroups", out failedStep);
        if (Libc.SetResGid(id, id, id) < 0) return Fail("setresgid", out failedStep);
        if (Libc.SetResUid(id, id, id) < 0) return Fail("setresuid", out failedStep);
        int r = Libc.SetThreadCapabilities(Kept);
        Libc.Prctl(Libc.PR_SET_KEEPCAPS, 0, 0, 0, 0);
        if (r < 0)
        {
            failedStep = "capset";
            return r;
        }
        if (!Libc.GetThreadCapabilities(out ulong effective, out ulong permitted) || effective != Kept || permitted != Kept)
        {
            failedStep = "capabilities after capset";
            return -Errno.EPERM;
        }
        return 0;
    }

    private static int Fail(string step, out string? failedStep)
    {
        failedStep = step;
        return -Libc.LastErrno;
    }
}
