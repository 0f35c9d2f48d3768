using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Process;

/// <summary>capget, capset and the capability prctls (kernel/capability.c, security/commoncap.c).</summary>
internal static class SysCapability
{
    public const uint Version1 = 0x19980330, Version2 = 0x20071026, Version3 = 0x20080522;

    /// <summary>
    /// cap_validate_magic: how many 32-bit words a version carries (1 or 2); an unknown version is
    /// answered with _LINUX_CAPABILITY_VERSION_3 written back and EINVAL (libcap's handshake).
    /// </summary>
    private static int ValidateVersion(Task t, ulong header, out int words)
    {
        words = 0;
        if (t.ReadStruct(header, out uint version) < 0) return -Errno.EFAULT;
        switch (version)
        {
            case Version1:
                words = 1;
                return 0;
            case Version2:
            case Version3:
                words = 2;
                return 0;
            default:
                return t.WriteStruct(header, Version3) < 0 ? -Errno.EFAULT : -Errno.EINVAL;
        }
    }

    public static long Capget(Task t, in SyscallArguments a)
    {
        int r = ValidateVersion(t, a.A0, out int words);
        if (a.A1 == 0 || r != 0) return a.A1 == 0 && r == -Errno.EINVAL ? 0 : r;
        if (t.ReadStruct(a.A0 + 4, out int pid) < 0) return -Errno.EFAULT;
        if (pid < 0) return -Errno.EINVAL;
        CapabilitySets caps;
        if (pid == 0 || pid == t.ThreadGroup.Tgid || pid == t.Tid) caps = t.ThreadGroup.Creds.Caps;
        else if (t.Kernel.Pids.TaskById(pid) is { } target) caps = target.ThreadGroup.Creds.Caps;
        else return -Errno.ESRCH;
        // struct __user_cap_data_struct { effective, permitted, inheritable } per 32-bit word.
        Span<uint> data = stackalloc uint[6];
        for (int i = 0; i < words; i++)
        {
            data[i * 3] = (uint)(caps.Effective >> (32 * i));
            data[i * 3 + 1] = (uint)(caps.Permitted >> (32 * i));
            data[i * 3 + 2] = (uint)(caps.Inheritable >> (32 * i));
        }
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(data[..(words * 3)]);
        return t.CopyOut(a.A1, bytes) < 0 ? -Errno.EFAULT : 0;
    }

    public static long Capset(Task t, in SyscallArguments a)
    {
        int r = ValidateVersion(t, a.A0, out int words);
        if (r != 0) return r;
        if (t.ReadStruct(a.A0 + 4, out int pid) < 0) return -Errno.EFAULT;
        if (pid != 0 && pid != t.Tid) return -Errno.EPERM;
        Span<uint> data = stackalloc uint[6];
        data.Clear();
        if (t.CopyIn(a.A1, System.Runtime.InteropServices.MemoryMarshal.AsBytes(data[..(words * 3)])) < 0) return -Errno.EFAULT;
        ulong effective = (data[0] | ((ulong)data[3] << 32)) & CapabilitySets.All;
        ulong permitted = (data[1] | ((ulong)data[4] << 32)) & CapabilitySets.All;
        ulong inheritable = (data[2] | ((ulong)data[5] << 32)) & CapabilitySets.All;
        return t.ThreadGroup.Creds.Caps.Capset(effective, permitted, inheritable);
    }

    public const int PR_GET_KEEPCAPS = 7, PR_SET_KEEPCAPS = 8, PR_CAPBSET_READ = 23, PR_CAPBSET_DROP = 24,
        PR_GET_SECUREBITS = 27, PR_SET_SECUREBITS = 28, PR_SET_NO_NEW_PRIVS = 38, PR_GET_NO_NEW_PRIVS = 39, PR_CAP_AMBIENT = 47;

    public const int PR_CAP_AMBIENT_IS_SET = 1, PR_CAP_AMBIENT_RAISE = 2, PR_CAP_AMBIENT_LOWER = 3, PR_CAP_AMBIENT_CLEAR_ALL = 4;

    /// <summary>The capability prctls (cap_task_prctl); false when option is not one of them.</summary>
    public static bool TryPrctl(Task t, in SyscallArguments a, out long result)
    {
        ref var caps = ref t.ThreadGroup.Creds.Caps;
        result = 0;
        switch (a.Int(0))
        {
            case PR_CAPBSET_READ:
                result = !Capabilities.Valid(a.A1) ? -Errno.EINVAL : (long)((caps.Bounding >> (int)a.A1) & 1);
                return true;
            case PR_CAPBSET_DROP:
                if (!caps.Has(Capabilities.SETPCAP)) result = -Errno.EPERM;
                else if (!Capabilities.Valid(a.A1)) result = -Errno.EINVAL;
                else caps.Bounding &= ~(1UL << (int)a.A1);
                return true;
            case PR_GET_KEEPCAPS:
                result = (caps.Securebits & CapabilitySets.SECBIT_KEEP_CAPS) != 0 ? 1 : 0;
                return true;
            case PR_SET_KEEPCAPS:
                if (a.A1 > 1) result = -Errno.EINVAL;
                else if ((caps.Securebits & CapabilitySets.SECBIT_KEEP_CAPS_LOCKED) != 0) result = -Errno.EPERM;
                else if (a.A1 == 1) caps.Securebits |= CapabilitySets.SECBIT_KEEP_CAPS;
                else caps.Securebits &= ~CapabilitySets.SECBIT_KEEP_CAPS;
                return true;
            case PR_GET_SECUREBITS:
                result = caps.Securebits;
                return true;
            case PR_SET_SECUREBITS:
            {
                uint old = caps.Securebits;
                ulong want = a.A1;
                if (((((old & CapabilitySets.SecureAllLocks) >> 1) & (old ^ want)) != 0)
                    || (old & CapabilitySets.SecureAllLocks & ~want) != 0
                    || (want & ~(ulong)(CapabilitySets.SecureAllLocks | CapabilitySets.SecureAllBits)) != 0
                    || !caps.Has(Capabilities.SETPCAP))
                    result = -Errno.EPERM;
                else caps.Securebits = (uint)want;
                return true;
            }
            case PR_SET_NO_NEW_PRIVS:
                if (a.A1 != 1 || a.A2 != 0 || a.A3 != 0 || a.A4 != 0) result = -Errno.EINVAL;
                else t.NoNewPrivs = true;
                return true;
            case PR_GET_NO_NEW_PRIVS:
                result = a.A1 != 0 || a.A2 != 0 || a.A3 != 0 || a.A4 != 0 ? -Errno.EINVAL : t.NoNewPrivs ? 1 : 0;
                return true;
            case PR_CAP_AMBIENT:
                result = Ambient(ref caps, a);
                return true;
            default:
                return false;
        }
    }

    private static long Ambient(ref CapabilitySets caps, in SyscallArguments a)
    {
        if (a.A1 == PR_CAP_AMBIENT_CLEAR_ALL)
        {
            if (a.A2 != 0 || a.A3 != 0 || a.A4 != 0) return -Errno.EINVAL;
            caps.Ambient = 0;
            return 0;
        }
        if (!Capabilities.Valid(a.A2) || a.A3 != 0 || a.A4 != 0) return -Errno.EINVAL;
        ulong bit = 1UL << (int)a.A2;
        switch (a.A1)
        {
            case PR_CAP_AMBIENT_IS_SET:
                return (caps.Ambient & bit) != 0 ? 1 : 0;
            case PR_CAP_AMBIENT_RAISE:
                if ((caps.Permitted & bit) == 0 || (caps.Inheritable & bit) == 0
                    || (caps.Securebits & CapabilitySets.SECBIT_NO_CAP_AMBIENT_RAISE) != 0) return -Errno.EPERM;
                caps.Ambient |= bit;
                return 0;
            case PR_CAP_AMBIENT_LOWER:
                caps.Ambient &= ~bit;
                return 0;
            default:
                return -Errno.EINVAL;
        }
    }
}
