using System.Runtime.InteropServices;
using System.Text;
using Csrunsc.Native;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Process;

/// <summary>uname, hostname, rlimits, prctl, arch_prctl, sysinfo, misc process state.</summary>
internal static unsafe class SysSystem
{
    public static long Uname(Task t, in SyscallArguments a)
    {
        Span<byte> u = stackalloc byte[65 * 6];
        u.Clear();
        Put(u, 0, "Linux");
        Put(u, 1, t.Kernel.Hostname);
        Put(u, 2, Kernel.Kernel.Release);
        Put(u, 3, Kernel.Kernel.Version);
        Put(u, 4, "x86_64");
        Put(u, 5, t.Kernel.Domainname);
        return t.CopyOut(a.A0, u) < 0 ? -Errno.EFAULT : 0;
    }

    private static void Put(Span<byte> u, int field, string s)
    {
        // A name set from arbitrary bytes may encode longer than it was (U+FFFD is 3 bytes): cut it to fit.
        var chars = s.AsSpan(0, Math.Min(s.Length, 64));
        while (Encoding.UTF8.GetByteCount(chars) > 64) chars = chars[..^1];
        int n = Encoding.UTF8.GetBytes(chars, u.Slice(field * 65, 64));
        u[field * 65 + n] = 0;
    }

    public static long SetHostname(Task t, in SyscallArguments a)
    {
        if (t.ThreadGroup.Creds.Euid != 0) return -Errno.EPERM;
        int len = a.Int(1);
        if (len < 0 || len > 64) return -Errno.EINVAL;
        var b = new byte[len];
        if (t.CopyIn(a.A0, b) < 0) return -Errno.EFAULT;
        t.Kernel.Hostname = Encoding.UTF8.GetString(b).TrimEnd('\0');
        return 0;
    }

    public static long SetDomainname(Task t, in SyscallArguments a)
    {
        if (t.ThreadGroup.Creds.Euid != 0) return -Errno.EPERM;
        int len = a.Int(1);
        if (len < 0 || len > 64) return -Errno.EINVAL;
        var b = new byte[len];
        if (t.CopyIn(a.A0, b) < 0) return -Errno.EFAULT;
        t.Kernel.Domainname = Encoding.UTF8.GetString(b).TrimEnd('\0');
        return 0;
    }

    public const int RLIMIT_STACK = 3, RLIMIT_NOFILE = 7, RLIM_NLIMITS = 16;
    public const ulong RLIM_INFINITY = ulong.MaxValue;

    private static (ulong, ulong) DefaultLimit(int res) => res switch
    {
        RLIMIT_STACK => (8UL << 20, RLIM_INFINITY),
        RLIMIT_NOFILE => (1024, 1048576),
        6 /*NPROC*/ => (63536, 63536),
        8 /*MEMLOCK*/ => (8UL << 20, 8UL << 20),
        14 /*RTPRIO*/ or 13 /*NICE*/ => (0, 0),
        11 /*SIGPENDING*/ => (63536, 63536),
        12 /*MSGQUEUE*/ => (819200, 819200),
        _ => (RLIM_INFINITY, RLIM_INFINITY),
    };

    public static (ulong Cur, ulong Max) GetLimit(Task t, int res)
    {
        lock (t.ThreadGroup.Rlimits)
            return t.ThreadGroup.Rlimits.TryGetValue(res, out var v) ? v : DefaultLimit(res);
    }

    public static long Prlimit64(Task t, in SyscallArguments a)
    {
        int pid = a.Int(0), res = a.Int(1);
        if (res < 0 || res >= RLIM_NLIMITS) return -Errno.EINVAL;
        var g = pid == 0 ? t.ThreadGroup : t.Kernel.Pids.GroupById(pid);
        if (g is null) return -Errno.ESRCH;
        var target = g.Leader;
        var old = GetLimit(target, res);
        if (a.A2 != 0)
        {
            if (t.ReadStruct(a.A2, out (ulong Cur, ulong Max) nl) < 0) return -Errno.EFAULT;
            if (nl.Cur > nl.Max) return -Errno.EINVAL;
            if (nl.Max > old.Max && t.ThreadGroup.Creds.Euid != 0) return -Errno.EPERM;
            lock (g.Rlimits) g.Rlimits[res] = nl;
            if (res == RLIMIT_NOFILE) target.Fds.Limit = (int)Math.Min(nl.Cur, 1048576);
        }
        if (a.A3 != 0 && t.WriteStruct(a.A3, old) < 0) return -Errno.EFAULT;
        return 0;
    }

    public static long GetRlimit(Task t, in SyscallArguments a) => Prlimit64(t, new SyscallArguments(0, a.A0, 0, a.A1, 0, 0));

    public static long SetRlimit(Task t, in SyscallArguments a) => Prlimit64(t, new SyscallArguments(0, a.A0, a.A1, 0, 0, 0));

    public const int ARCH_SET_GS = 0x1001, ARCH_SET_FS = 0x1002, ARCH_GET_FS = 0x1003, ARCH_GET_GS = 0x1004,
        ARCH_GET_CPUID = 0x1011, ARCH_SET_CPUID = 0x1012;

    public static long ArchPrctl(Task t, in SyscallArguments a)
    {
        switch (a.Int(0))
        {
            case ARCH_SET_FS:
                if (a.A1 >= 0x7fff_ffff_f000) return -Errno.EPERM;
                t.Regs.FsBase = a.A1;
                return 0;
            case ARCH_SET_GS:
                if (a.A1 >= 0x7fff_ffff_f000) return -Errno.EPERM;
                t.Regs.GsBase = a.A1;
                return 0;
            case ARCH_GET_FS:
                return t.WriteStruct(a.A1, t.Regs.FsBase) < 0 ? -Errno.EFAULT : 0;
            case ARCH_GET_GS:
                return t.WriteStruct(a.A1, t.Regs.GsBase) < 0 ? -Errno.EFAULT : 0;
            case ARCH_GET_CPUID:
                return 1;
            default:
                return -Errno.EINVAL;
        }
    }

    public const int PR_SET_PDEATHSIG = 1, PR_GET_PDEATHSIG = 2, PR_GET_DUMPABLE = 3, PR_SET_DUMPABLE = 4,
        PR_SET_NAME = 15, PR_GET_NAME = 16, PR_GET_SECCOMP = 21, PR_SET_SECCOMP = 22, PR_CAPBSET_READ = 23,
        PR_SET_CHILD_SUBREAPER = 36, PR_GET_CHILD_SUBREAPER = 37, PR_SET_NO_NEW_PRIVS = 38,
        PR_GET_NO_NEW_PRIVS = 39, PR_SET_VMA = 0x53564d41;

    public static long Prctl(Task t, in SyscallArguments a)
    {
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
                t.ThreadGroup.Comm = name.Length > 15 ? name[..15] : name;
                return 0;
            }
            case PR_GET_NAME:
            {
                Span<byte> b = stackalloc byte[16];
                b.Clear();
                Encoding.UTF8.GetBytes(t.ThreadGroup.Comm.AsSpan(0, Math.Min(15, t.ThreadGroup.Comm.Length)), b);
                return t.CopyOut(a.A1, b) < 0 ? -Errno.EFAULT : 0;
            }
            case PR_SET_PDEATHSIG:
            case PR_SET_DUMPABLE:
            case PR_SET_CHILD_SUBREAPER:
            case PR_SET_NO_NEW_PRIVS:
            case PR_SET_VMA:
                return 0;
            case PR_GET_DUMPABLE:
                return 1;
            case PR_GET_PDEATHSIG:
            case PR_GET_CHILD_SUBREAPER:
                return t.WriteStruct(a.A1, 0) < 0 ? -Errno.EFAULT : 0;
            case PR_GET_NO_NEW_PRIVS:
            case PR_GET_SECCOMP:
                return 0;
            case PR_CAPBSET_READ:
                return a.A1 <= 40 ? 1 : -Errno.EINVAL;
            default:
                return -Errno.EINVAL;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SysInfo
    {
        public long Uptime;
        public ulong Load1, Load5, Load15;
        public ulong TotalRam, FreeRam, SharedRam, BufferRam, TotalSwap, FreeSwap;
        public ushort Procs, Pad;
        public ulong TotalHigh, FreeHigh;
        public uint MemUnit;
        public unsafe fixed byte Reserved[4];
    }

    public static long Sysinfo(Task t, in SyscallArguments a)
    {
        var si = new SysInfo
        {
            Uptime = (Kernel.MonotonicClock.NowNs() - t.Kernel.BootTimeNs) / 1_000_000_000,
            TotalRam = 2UL << 30, FreeRam = 1UL << 30, Procs = (ushort)t.Kernel.Pids.GroupCount, MemUnit = 1,
        };
        return t.WriteStruct(a.A0, si) < 0 ? -Errno.EFAULT : 0;
    }

    public static long SetTidAddress(Task t, in SyscallArguments a)
    {
        t.ClearChildTid = a.A0;
        return t.Tid;
    }

    public static long SetRobustList(Task t, in SyscallArguments a)
    {
        if (a.A1 != 24) return -Errno.EINVAL;
        t.RobustList = a.A0;
        return 0;
    }

    public static long GetRobustList(Task t, in SyscallArguments a)
    {
        if (t.WriteStruct(a.A1, t.RobustList) < 0 || t.WriteStruct(a.A2, 24UL) < 0) return -Errno.EFAULT;
        return 0;
    }

    public static long Getrusage(Task t, in SyscallArguments a)
    {
        Span<byte> ru = stackalloc byte[144];
        ru.Clear();
        return t.CopyOut(a.A1, ru) < 0 ? -Errno.EFAULT : 0;
    }

    public static long Times(Task t, in SyscallArguments a)
    {
        long ticks = (Kernel.MonotonicClock.NowNs() - t.Kernel.BootTimeNs) / 10_000_000;
        if (a.A0 != 0)
        {
            Span<long> tms = stackalloc long[4];
            tms.Clear();
            if (t.CopyOut(a.A0, MemoryMarshal.AsBytes(tms)) < 0) return -Errno.EFAULT;
        }
        return ticks;
    }

    public static long Getrandom(Task t, in SyscallArguments a)
    {
        int len = (int)Math.Min(a.A1, 1 << 20);
        ulong done = 0;
        while (done < (ulong)len)
        {
            if (!t.Mm.TryGetSpan(a.A0 + done, len - (int)done, true, out var span)) return done > 0 ? (long)done : -Errno.EFAULT;
            // The host's getrandom: .NET's RandomNumberGenerator needs libssl, absent in the chroot.
            fixed (byte* p = span)
            {
                if (Libc.GetRandom(p, span.Length, 0) < 0) return done > 0 ? (long)done : -Errno.EIO;
            }
            done += (ulong)span.Length;
        }
        return len;
    }

    public static long SchedGetaffinity(Task t, in SyscallArguments a)
    {
        int size = a.Int(1);
        if (size < 8 || (size & 7) != 0) return -Errno.EINVAL;
        ulong mask = Environment.ProcessorCount >= 64 ? ulong.MaxValue : (1UL << Environment.ProcessorCount) - 1;
        if (t.WriteStruct(a.A2, mask) < 0) return -Errno.EFAULT;
        return 8;
    }

    public static long Getcpu(Task t, in SyscallArguments a)
    {
        if (a.A0 != 0 && t.WriteStruct(a.A0, 0u) < 0) return -Errno.EFAULT;
        if (a.A1 != 0 && t.WriteStruct(a.A1, 0u) < 0) return -Errno.EFAULT;
        return 0;
    }

    public static long Zero(Task t, in SyscallArguments a) => 0;

    public static long SchedGetParam(Task t, in SyscallArguments a) => t.WriteStruct(a.A1, 0) < 0 ? -Errno.EFAULT : 0;

    public static long Personality(Task t, in SyscallArguments a) => 0;
}
