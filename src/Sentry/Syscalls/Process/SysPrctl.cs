using System.Text;
using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Process;

/// <summary>prctl: names, parent-death signal, dumpable, child subreaper, Yama's ptracer, seccomp, and the capability prctls (keep-caps, securebits, no_new_privs, bounding and ambient sets: SysCapability).</summary>
internal static class SysPrctl
{
    public const int PR_SET_PDEATHSIG = 1, PR_GET_PDEATHSIG = 2, PR_GET_DUMPABLE = 3, PR_SET_DUMPABLE = 4,
        PR_SET_NAME = 15, PR_GET_NAME = 16, PR_GET_SECCOMP = 21, PR_SET_SECCOMP = 22,
        PR_SET_MM = 35, PR_SET_CHILD_SUBREAPER = 36, PR_GET_CHILD_SUBREAPER = 37, PR_SET_VMA = 0x53564d41,
        PR_SET_PTRACER = 0x59616d61;

    /// <summary>PR_SET_PTRACER_ANY: (unsigned long)-1.</summary>
    private const ulong PtracerAny = ulong.MaxValue;

    public static long Prctl(Task t, in SyscallArguments a)
    {
        if (SysCapability.TryPrctl(t, a, out long capResult)) return capResult;
        var g = t.ThreadGroup;
        switch (a.Int(0))
        {
            case PR_SET_NAME:
            {
                int r = t.CopyInString(a.A1, 16, out string name);
                if (r == -Errno.ENAMETOOLONG)
                {
                    var b = new byte[15];
                    if (t.CopyIn(a.A1, b) < 0) return -Errno.EFAULT;
                    name = Encoding.UTF8.GetString(b);
                }
                else if (r < 0) return r;
                g.Comm = name.Length > 15 ? name[..15] : name;
                return 0;
            }
            case PR_GET_NAME:
            {
                Span<byte> b = stackalloc byte[16];
                b.Clear();
                Encoding.UTF8.GetBytes(g.Comm.AsSpan(0, Math.Min(15, g.Comm.Length)), b);
                return t.CopyOut(a.A1, b) < 0 ? -Errno.EFAULT : 0;
            }
            case PR_SET_PDEATHSIG:
                if (a.A1 > SignalHandlers.MaxSignal) return -Errno.EINVAL;
                t.ParentDeathSignal = (int)a.A1;
                return 0;
            case PR_GET_PDEATHSIG:
                return t.WriteStruct(a.A1, t.ParentDeathSignal) < 0 ? -Errno.EFAULT : 0;
            case PR_SET_DUMPABLE:
                if (a.A1 > 1) return -Errno.EINVAL;
                g.Dumpable = (int)a.A1;
                return 0;
            case PR_GET_DUMPABLE:
                return g.Dumpable;
            case PR_SET_CHILD_SUBREAPER:
                g.IsChildSubreaper = a.A1 != 0;
                return 0;
            case PR_GET_CHILD_SUBREAPER:
                return t.WriteStruct(a.A1, g.IsChildSubreaper ? 1 : 0) < 0 ? -Errno.EFAULT : 0;
            case PR_SET_VMA:
                return 0;
            case PR_SET_PTRACER:
            {
                // Yama: per process; 0 clears, -1 allows anyone, else a task by pid (EINVAL if none).
                if (a.A1 == 0 || a.A1 == PtracerAny || (int)a.A1 == -1)
                {
                    g.DeclaredPtracer = null;
                    g.AnyPtracer = a.A1 != 0;
                    return 0;
                }
                if (a.A1 > int.MaxValue || t.Kernel.Pids.TaskById((int)a.A1) is not { } tracer) return -Errno.EINVAL;
                g.DeclaredPtracer = tracer;
                g.AnyPtracer = false;
                return 0;
            }
            case PR_SET_MM:
                // Rewriting the mm's fields is not supported; unprivileged callers get Linux's EPERM first.
                return Capabilities.Has(t, Capabilities.SYS_RESOURCE) ? -Errno.EINVAL : -Errno.EPERM;
            case PR_GET_SECCOMP:
                return t.Seccomp?.Mode ?? 0;
            case PR_SET_SECCOMP:
                return SysSeccomp.PrctlSet(t, in a);
            default:
                return -Errno.EINVAL;
        }
    }
}
