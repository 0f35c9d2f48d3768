using System.Runtime.InteropServices;
using System.Text;
using Csrunsc.Native;
using Csrunsc.Sentry.Kernel;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Process;

/// <summary>uname, hostname, arch_prctl, sysinfo, misc process state (rlimits: SysRlimit, prctl: SysPrctl).</summary>
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
        if (!Capabilities.Has(t, Capabilities.SYS_ADMIN)) return -Errno.EPERM;
        int len = a.Int(1);
        if (len < 0 || len > 64) return -Errno.EINVAL;
        var b = new byte[len];
        if (t.CopyIn(a.A0, b) < 0) return -Errno.EFAULT;
        t.Kernel.Hostname = Encoding.UTF8.GetString(b).TrimEnd('\0');
        return 0;
    }

    public static long SetDomainname(Task t, in SyscallArguments a)
    {
        if (!Capabilities.Has(t, Capabilities.SYS_ADMIN)) return -Errno.EPERM;
        int len = a.Int(1);
        if (len < 0 || len > 64) return -Errno.EINVAL;
        var b = new byte[len];
        if (t.CopyIn(a.A0, b) < 0) return -Errno.EFAULT;
        t.Kernel.Domainname = Encoding.UTF8.GetString(b).TrimEnd('\0');
        return 0;
    }

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
            Procs = (ushort)t.Kernel.Pids.GroupCount, MemUnit = 1,
        };
        var memory = t.Kernel.MemoryAccounting;
        si.TotalRam = memory.Total;
        si.FreeRam = memory.Free;
        si.SharedRam = t.Kernel.Ipc.ShmTotalPages * 4096;
        si.TotalSwap = memory.SwapTotal;
        si.FreeSwap = memory.SwapFree;
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

    public const int RUSAGE_SELF = 0, RUSAGE_CHILDREN = -1, RUSAGE_THREAD = 1;

    /// <summary>getrusage: user and system time from the Sentry's accounting; maxrss of the caller's address space; other fields 0.</summary>
    public static long Getrusage(Task t, in SyscallArguments a)
    {
        var g = t.ThreadGroup;
        long user, sys, maxRssKb = 0;
        switch (a.Int(0))
        {
            case RUSAGE_SELF:
                user = g.CpuUserNs();
                sys = g.CpuSystemNs();
                maxRssKb = (t.Mm?.ResidentBytes ?? 0) / 1024;
                break;
            case RUSAGE_THREAD:
                user = t.CpuUserNs();
                sys = t.CpuSystemNs();
                maxRssKb = (t.Mm?.ResidentBytes ?? 0) / 1024;
                break;
            case RUSAGE_CHILDREN:
                lock (g)
                {
                    user = g.ChildrenUserNs;
                    sys = g.ChildrenSystemNs;
                }
                break;
            default:
                return -Errno.EINVAL;
        }
        return WriteRusage(t, a.A1, user, sys, maxRssKb) < 0 ? -Errno.EFAULT : 0;
    }

    /// <summary>struct rusage (144 bytes): ru_utime, ru_stime as timevals, ru_maxrss; the rest 0.</summary>
    internal static int WriteRusage(Task t, ulong addr, long userNs, long sysNs, long maxRssKb = 0)
    {
        Span<long> ru = stackalloc long[18];
        ru.Clear();
        ru[0] = userNs / 1_000_000_000;
        ru[1] = userNs % 1_000_000_000 / 1000;
        ru[2] = sysNs / 1_000_000_000;
        ru[3] = sysNs % 1_000_000_000 / 1000;
        ru[4] = maxRssKb;
        return t.CopyOut(addr, MemoryMarshal.AsBytes(ru));
    }

    /// <summary>times: clock ticks (USER_HZ 100) since boot; tms from the Sentry's accounting.</summary>
    public static long Times(Task t, in SyscallArguments a)
    {
        const long tick = 10_000_000;
        long ticks = (Kernel.MonotonicClock.NowNs() - t.Kernel.BootTimeNs) / tick;
        if (a.A0 != 0)
        {
            var g = t.ThreadGroup;
            Span<long> tms = stackalloc long[4];
            tms[0] = g.CpuUserNs() / tick;
            tms[1] = g.CpuSystemNs() / tick;
            lock (g)
            {
                tms[2] = g.ChildrenUserNs / tick;
                tms[3] = g.ChildrenSystemNs / tick;
            }
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

    private const uint AddrNoRandomize = 0x0040000;

    /// <summary>
    /// personality(2): 0xffffffff queries; PER_LINUX with ADDR_NO_RANDOMIZE is what this Sentry can
    /// honour (it lays address spaces out without randomization anyway); any other persona or flag
    /// (PER_LINUX32, READ_IMPLIES_EXEC, ADDR_LIMIT_*...) is refused with EINVAL rather than kept and
    /// ignored. Returns the previous persona.
    /// </summary>
    public static long Personality(Task t, in SyscallArguments a)
    {
        uint p = (uint)a.A0;
        t.Kernel.ArgumentUse.Personality(p);
        uint old = t.Personality;
        if (p == 0xffffffff) return old;
        if ((p & ~AddrNoRandomize) != 0) return -Errno.EINVAL;
        t.Personality = p;
        return old;
    }
}
