using System.Text;
using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Process;

/// <summary>prctl: names, parent-death signal, dumpable, keep-caps and securebits, child subreaper, no_new_privs.</summary>
internal static class SysPrctl
{
    public const int PR_SET_PDEATHSIG = 1, PR_GET_PDEATHSIG = 2, PR_GET_DUMPABLE = 3, PR_SET_DUMPABLE = 4,
        PR_GET_KEEPCAPS = 7, PR_SET_KEEPCAPS = 8, PR_SET_NAME = 15, PR_GET_NAME = 16, PR_GET_SECCOMP = 21,
        PR_SET_SECCOMP = 22, PR_CAPBSET_READ = 23, PR_GET_SECUREBITS = 27, PR_SET_SECUREBITS = 28,
        PR_SET_MM = 35, PR_SET_CHILD_SUBREAPER = 36, PR_GET_CHILD_SUBREAPER = 37, PR_SET_NO_NEW_PRIVS = 38,
        PR_GET_NO_NEW_PRIVS = 39, PR_SET_VMA = 0x53564d41;

    /// <summary>The securebits (and their lock bits) a process may set.</summary>
    private const uint SecureAllBits = 0x55, SecureAllLocks = 0xAA;

    public static long Prctl(Task t, in SyscallArguments a)
    {
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
            case PR_GET_KEEPCAPS:
                return (g.Creds.Securebits & Credentials.SECBIT_KEEP_CAPS) != 0 ? 1 : 0;
            case PR_SET_KEEPCAPS:
                if (a.A1 > 1) return -Errno.EINVAL;
                if ((g.Creds.Securebits & Credentials.SECBIT_KEEP_CAPS_LOCKED) != 0) return -Errno.EPERM;
                if (a.A1 != 0) g.Creds.Securebits |= Credentials.SECBIT_KEEP_CAPS;
                else g.Creds.Securebits &= ~Credentials.SECBIT_KEEP_CAPS;
                return 0;
            case PR_GET_SECUREBITS:
                return g.Creds.Securebits;
            case PR_SET_SECUREBITS:
            {
                uint old = g.Creds.Securebits;
                ulong want = a.A1;
                // Locked bits may not change, locks may not be released, unknown bits: all EPERM, as cap_task_prctl.
                if (((((ulong)old & SecureAllLocks) >> 1) & ((ulong)old ^ want)) != 0 || (old & SecureAllLocks & ~want) != 0 ||
                    (want & ~(ulong)(SecureAllLocks | SecureAllBits)) != 0 || !Capabilities.Has(t, Capabilities.SETPCAP))
                    return -Errno.EPERM;
                g.Creds.Securebits = (uint)want;
                return 0;
            }
            case PR_SET_CHILD_SUBREAPER:
                g.IsChildSubreaper = a.A1 != 0;
                return 0;
            case PR_GET_CHILD_SUBREAPER:
                return t.WriteStruct(a.A1, g.IsChildSubreaper ? 1 : 0) < 0 ? -Errno.EFAULT : 0;
            case PR_SET_NO_NEW_PRIVS:
                if (a.A1 != 1 || a.A2 != 0 || a.A3 != 0 || a.A4 != 0) return -Errno.EINVAL;
                g.NoNewPrivs = true;
                return 0;
            case PR_GET_NO_NEW_PRIVS:
                if (a.A1 != 0 || a.A2 != 0 || a.A3 != 0 || a.A4 != 0) return -Errno.EINVAL;
                return g.NoNewPrivs ? 1 : 0;
            case PR_SET_VMA:
                return 0;
            case PR_SET_MM:
                // Rewriting the mm's fields is not supported; unprivileged callers get Linux's EPERM first.
                return Capabilities.Has(t, Capabilities.SYS_RESOURCE) ? -Errno.EINVAL : -Errno.EPERM;
            case PR_GET_SECCOMP:
                return t.Seccomp?.Mode ?? 0;
            case PR_SET_SECCOMP:
                return SysSeccomp.PrctlSet(t, in a);
            case PR_CAPBSET_READ:
                return a.A1 <= (ulong)Capabilities.Last ? 1 : -Errno.EINVAL;
            default:
                return -Errno.EINVAL;
        }
    }
}
