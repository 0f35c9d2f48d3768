using Csrunsc.Native;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Memory;

/// <summary>
/// process_vm_readv/process_vm_writev: copies between the caller's memory and another process's in
/// the sandbox, with ptrace's access check (PTRACE_MODE_ATTACH_REALCREDS). Protections apply (no
/// FOLL_FORCE). A partial transfer returns the bytes moved; nothing moved at all is EFAULT.
/// </summary>
internal static class SysProcessVm
{
    private const int IovMax = 1024;

    public static long Readv(Task t, in SyscallArguments a) => Transfer(t, a, write: false);

    public static long Writev(Task t, in SyscallArguments a) => Transfer(t, a, write: true);

    private static long Transfer(Task t, in SyscallArguments a, bool write)
    {
        int pid = a.Int(0);
        ulong liov = a.A1, liovcnt = a.A2, riov = a.A3, riovcnt = a.A4;
        if (a.A5 != 0) return -Errno.EINVAL;
        if (liovcnt > IovMax || riovcnt > IovMax) return -Errno.EINVAL;
        // Both vectors are read (and their lengths summed, EINVAL on overflow) before any copy.
        long total = 0;
        for (ulong i = 0; i < liovcnt; i++)
        {
            if (t.ReadStruct(liov + i * 16 + 8, out long len) < 0) return -Errno.EFAULT;
            if (len < 0 || (total += len) < 0) return -Errno.EINVAL;
        }
        long rtotal = 0;
        for (ulong i = 0; i < riovcnt; i++)
        {
            if (t.ReadStruct(riov + i * 16 + 8, out long len) < 0) return -Errno.EFAULT;
            if (len < 0 || (rtotal += len) < 0) return -Errno.EINVAL;
        }
        if (total == 0 || rtotal == 0) return 0;
        var target = pid > 0 ? t.Kernel.Pids.TaskById(pid) : null;
        if (target is null || target.ThreadGroup.Zombie) return -Errno.ESRCH;
        int r = t.PtraceMayAccess(target);
        if (r < 0) return r;
        var remote = target.Mm;

        long done = 0;
        ulong li = 0, ri = 0, loff = 0, roff = 0;
        ulong lbase = 0, llen = 0, rbase = 0, rlen = 0;
        bool lLoaded = false, rLoaded = false;
        var buf = t.Scratch.AsSpan();
        while (true)
        {
            while (!lLoaded || loff == llen)
            {
                if (li >= liovcnt) return done;
                if (t.ReadStruct(liov + li * 16, out lbase) < 0 || t.ReadStruct(liov + li * 16 + 8, out llen) < 0) return done > 0 ? done : -Errno.EFAULT;
                li++;
                loff = 0;
                lLoaded = true;
            }
            while (!rLoaded || roff == rlen)
            {
                if (ri >= riovcnt) return done;
                if (t.ReadStruct(riov + ri * 16, out rbase) < 0 || t.ReadStruct(riov + ri * 16 + 8, out rlen) < 0) return done > 0 ? done : -Errno.EFAULT;
                ri++;
                roff = 0;
                rLoaded = true;
            }
            int n = (int)Math.Min((ulong)buf.Length, Math.Min(llen - loff, rlen - roff));
            // Page by page on the remote side, so that a transfer stops exactly where the remote memory ends.
            ulong raddr = rbase + roff;
            n = (int)Math.Min((ulong)n, 4096 - (raddr & 4095));
            var chunk = buf[..n];
            if (write)
            {
                if (t.CopyIn(lbase + loff, chunk) < 0) return done > 0 ? done : -Errno.EFAULT;
                if (remote.CopyOut(raddr, chunk) < 0) return done > 0 ? done : -Errno.EFAULT;
            }
            else
            {
                if (remote.CopyIn(raddr, chunk) < 0) return done > 0 ? done : -Errno.EFAULT;
                if (t.CopyOut(lbase + loff, chunk) < 0) return done > 0 ? done : -Errno.EFAULT;
            }
            done += n;
            loff += (ulong)n;
            roff += (ulong)n;
        }
    }
}
