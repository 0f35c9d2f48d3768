using Csrunsc.Native;

namespace Csrunsc.Gofer.Server;

/// <summary>Confines the gofer process after its attach points are open: chroot, no_new_privs, host uid and capabilities, seccomp.</summary>
public static unsafe class GoferConfinement
{
    /// <summary>
    /// chroot into the rootfs (held as <paramref name="rootFd"/>), set no_new_privs, take host uid
    /// <paramref name="hostId"/> keeping only <see cref="GoferCapabilities.Kept"/> (when given), and
    /// install <see cref="GoferSeccompPolicy"/> unless <paramref name="skipSeccomp"/>. 0 or -errno, with the failed step.
    /// </summary>
    public static int Apply(int rootFd, uint? hostId, bool skipSeccomp, out string? failedStep)
    {
        failedStep = null;
        byte* dot = stackalloc byte[] { (byte)'.', 0 };
        byte* slash = stackalloc byte[] { (byte)'/', 0 };
        if (Libc.FChdir(rootFd) < 0) return Fail("fchdir rootfs", out failedStep);
        if (Libc.Chroot(dot) < 0) return Fail("chroot", out failedStep);
        if (Libc.Chdir(slash) < 0) return Fail("chdir /", out failedStep);
        if (Libc.Prctl(Libc.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return Fail("prctl(PR_SET_NO_NEW_PRIVS)", out failedStep);
        if (hostId is uint id && GoferCapabilities.Drop(id, out failedStep) is var d and < 0) return d;
        if (skipSeccomp) return 0;
        int r = SeccompFilter.Install(GoferSeccompPolicy.BuildProgram(Libc.GetPid()));
        if (r < 0)
        {
            failedStep = "seccomp";
            return r;
        }
        return 0;
    }

    private static int Fail(string step, out string? failedStep)
    {
        failedStep = step;
        return -Libc.LastErrno;
    }
}
