using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Kernel.Seccomp;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Process;

/// <summary>seccomp(2) and prctl's PR_SET_SECCOMP: the guest's own filters, evaluated by the Sentry.</summary>
internal static class SysSeccomp
{
    private const uint SetModeStrict = 0, SetModeFilter = 1, GetActionAvail = 2, GetNotifSizes = 3;
    private const uint FlagTsync = 1, FlagLog = 2, FlagSpecAllow = 4, FlagNewListener = 8, FlagTsyncEsrch = 16;

    public static long Seccomp(Task t, in SyscallArguments a)
    {
        uint op = (uint)a.A0, flags = (uint)a.A1;
        if ((a.A0 >> 32) != 0 || (a.A1 >> 32) != 0) return -Errno.EINVAL;
        switch (op)
        {
            case SetModeStrict:
                if (flags != 0 || a.A2 != 0) return -Errno.EINVAL;
                return SetStrict(t);
            case SetModeFilter:
                return SetFilter(t, flags, a.A2);
            case GetActionAvail:
            {
                if (flags != 0) return -Errno.EINVAL;
                if (t.ReadStruct(a.A2, out uint action) < 0) return -Errno.EFAULT;
                // USER_NOTIF is not offered: no listener fd is ever created.
                return action is SeccompAction.KillProcess or SeccompAction.KillThread or SeccompAction.Trap
                    or SeccompAction.Errno or SeccompAction.Trace or SeccompAction.Log or SeccompAction.Allow
                    ? 0 : -Errno.EOPNOTSUPP;
            }
            case GetNotifSizes:
                return -Errno.EOPNOTSUPP; // user notification is not implemented
            default:
                return -Errno.EINVAL;
        }
    }

    /// <summary>prctl(PR_SET_SECCOMP, mode, filter).</summary>
    public static long PrctlSet(Task t, in SyscallArguments a) => a.A1 switch
    {
        1 => SetStrict(t),
        2 => SetFilter(t, 0, a.A2),
        _ => -Errno.EINVAL,
    };

    private static long SetStrict(Task t)
    {
        if (t.Seccomp is not null) return -Errno.EINVAL; // a mode, once set, cannot change
        t.Seccomp = SeccompFilterChain.Strict;
        return 0;
    }

    private static long SetFilter(Task t, uint flags, ulong progAddr)
    {
        if ((flags & ~(FlagTsync | FlagLog | FlagSpecAllow | FlagNewListener | FlagTsyncEsrch)) != 0) return -Errno.EINVAL;
        // Refused clearly rather than installed without its listener fd.
        if ((flags & FlagNewListener) != 0) return -Errno.EOPNOTSUPP;
        if ((flags & FlagTsyncEsrch) != 0 && (flags & FlagTsync) == 0) return -Errno.EINVAL;
        if (t.Seccomp is { Mode: SeccompFilterChain.ModeStrict }) return -Errno.EINVAL;
        // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
        if (t.ReadStruct(progAddr, out ushort len) < 0 || t.ReadStruct(progAddr + 8, out ulong filterAddr) < 0) return -Errno.EFAULT;
        if (len == 0 || len > SeccompProgram.MaxInstructions) return -Errno.EINVAL;
        if (!t.NoNewPrivs && !Capabilities.Has(t, Capabilities.SYS_ADMIN)) return -Errno.EACCES;
        var raw = new byte[len * 8];
        if (t.CopyIn(filterAddr, raw) < 0) return -Errno.EFAULT;
        var insns = new SockFilter[len];
        for (int i = 0; i < len; i++)
            insns[i] = new SockFilter(BitConverter.ToUInt16(raw, i * 8), raw[i * 8 + 2], raw[i * 8 + 3], BitConverter.ToUInt32(raw, i * 8 + 4));
        var prog = SeccompProgram.Create(insns, out int err);
        if (prog is null) return err;
        var current = t.Seccomp;
        if ((current?.TotalInstructions ?? 0) + len + 4 > SeccompFilterChain.MaxTotalInstructions) return -Errno.ENOMEM;
        var next = SeccompFilterChain.Push(current, prog, (flags & FlagLog) != 0);
        if ((flags & FlagTsync) == 0)
        {
            t.Seccomp = next;
            return 0;
        }
        var group = t.ThreadGroup;
        lock (group)
        {
            var threads = group.TasksSnapshot();
            // Every other thread must have no filter or an ancestor of the caller's, or it is named.
            foreach (var other in threads)
            {
                if (other == t) continue;
                if (other.Seccomp is { Mode: SeccompFilterChain.ModeStrict } || (current is null ? other.Seccomp is not null : !current.Descends(other.Seccomp)))
                    return (flags & FlagTsyncEsrch) != 0 ? -Errno.ESRCH : other.Tid;
            }
            // seccomp_sync_threads: the caller's no_new_privs goes with its filter.
            foreach (var other in threads)
            {
                other.Seccomp = next;
                if (t.NoNewPrivs) other.NoNewPrivs = true;
            }
        }
        return 0;
    }
}
