using System.Globalization;
using System.Text;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Vfs;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Fs.Proc;

/// <summary>Generators for the per-process /proc files (formats as Linux 5.15 prints them).</summary>
public static class ProcPidContent
{
    private const int MaxGuestRange = 1 << 20;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>State letter as ps shows it: the calling task runs, others are taken as sleeping.</summary>
    public static char StateOf(ThreadGroup group, Task task)
    {
        if (group.Zombie) return 'Z';
        if (task.InPtraceStop) return 't';
        if (group.Stopped) return 'T';
        return ReferenceEquals(task, Task.Current) ? 'R' : 'S';
    }

    private static string StateName(char s) => s switch
    {
        'R' => "R (running)",
        'Z' => "Z (zombie)",
        'T' => "T (stopped)",
        't' => "t (tracing stop)",
        _ => "S (sleeping)",
    };

    public static string Stat(ProcFileSystem fs, ThreadGroup group, Task task, bool perThread)
    {
        long tick = 1_000_000_000 / ProcSystemContent.UserHz;
        var tasks = group.TasksSnapshot();
        long userNs = perThread ? task.CpuUserNs() : group.CpuUserNs();
        long sysNs = perThread ? task.CpuSystemNs() : group.CpuSystemNs();
        char state = StateOf(group, task);
        ulong vsize = task.Mm?.VirtualBytes ?? 0;
        long rssPages = (task.Mm?.ResidentBytes ?? 0) / 4096;
        ulong pending = group.SharedPending.Set | task.Pending.Set;
        SignalSets(group, out ulong ignored, out ulong caught);
        var mm = task.Mm;
        long start = (group.StartTimeNs - fs.Kernel.BootTimeNs) / tick;
        int ppid = group.Parent?.Tgid ?? 0;
        var sb = new StringBuilder(256);
        sb.Append(Inv, $"{(perThread ? task.Tid : group.Tgid)} ({group.Comm}) {state} {ppid} {group.Pgid} {group.Sid} 0 -1 4194304 ");
        sb.Append(Inv, $"0 0 0 0 {userNs / tick} {sysNs / tick} {group.ChildrenUserNs / tick} {group.ChildrenSystemNs / tick} {20 + task.Nice} {task.Nice} {Math.Max(tasks.Length, 1)} 0 {start} ");
        sb.Append(Inv, $"{vsize} {rssPages} 18446744073709551615 0 0 {mm?.StackTop ?? 0} 0 0 ");
        sb.Append(Inv, $"{pending} {task.SignalMask} {ignored} {caught} 0 0 0 {group.ExitSignal} 0 0 0 0 0 0 ");
        sb.Append(Inv, $"0 0 {mm?.BrkStart ?? 0} {mm?.ArgvStart ?? 0} {mm?.ArgvEnd ?? 0} {mm?.EnvStart ?? 0} {mm?.EnvEnd ?? 0} ");
        sb.Append(Inv, $"{(group.Zombie ? group.ExitStatus : 0)}\n");
        return sb.ToString();
    }

    public static string Status(ThreadGroup group, Task task)
    {
        var c = group.Creds;
        char state = StateOf(group, task);
        long vmKb = (long)((task.Mm?.VirtualBytes ?? 0) / 1024);
        long rssKb = (task.Mm?.ResidentBytes ?? 0) / 1024;
        SignalSets(group, out ulong ignored, out ulong caught);
        var caps = c.Caps;
        int cpus = Environment.ProcessorCount;
        uint umask = task.Fs?.Umask ?? 0x12;
        var sb = new StringBuilder(1024);
        sb.Append(Inv, $"Name:\t{group.Comm}\nUmask:\t{Convert.ToString(umask, 8).PadLeft(4, '0')}\nState:\t{StateName(state)}\n");
        sb.Append(Inv, $"Tgid:\t{group.Tgid}\nNgid:\t0\nPid:\t{task.Tid}\nPPid:\t{group.Parent?.Tgid ?? 0}\nTracerPid:\t{task.Tracer?.Tgid ?? 0}\n");
        sb.Append(Inv, $"Uid:\t{c.Uid}\t{c.Euid}\t{c.Suid}\t{c.Fsuid}\nGid:\t{c.Gid}\t{c.Egid}\t{c.Sgid}\t{c.Fsgid}\n");
        sb.Append(Inv, $"FDSize:\t64\nGroups:\t{string.Join(' ', c.Groups)}\n");
        sb.Append(Inv, $"NStgid:\t{group.Tgid}\nNSpid:\t{task.Tid}\nNSpgid:\t{group.Pgid}\nNSsid:\t{group.Sid}\n");
        sb.Append(Inv, $"VmPeak:\t{vmKb,8} kB\nVmSize:\t{vmKb,8} kB\nVmLck:\t{(long)((task.Mm?.LockedBytes ?? 0) / 1024),8} kB\nVmPin:\t       0 kB\n");
        sb.Append(Inv, $"VmHWM:\t{rssKb,8} kB\nVmRSS:\t{rssKb,8} kB\nRssAnon:\t{rssKb,8} kB\nRssFile:\t       0 kB\nRssShmem:\t       0 kB\n");
        sb.Append(Inv, $"VmData:\t{vmKb,8} kB\nVmStk:\t     132 kB\nVmExe:\t       0 kB\nVmLib:\t       0 kB\nVmPTE:\t       0 kB\nVmSwap:\t       0 kB\n");
        sb.Append(Inv, $"Threads:\t{Math.Max(group.Tasks.Count, 1)}\nSigQ:\t{group.Kernel.SigpendingOf(group).Count}/{Rlimits.Cur(group, Rlimits.SIGPENDING)}\n");
        sb.Append(Inv, $"SigPnd:\t{task.Pending.Set:x16}\nShdPnd:\t{group.SharedPending.Set:x16}\nSigBlk:\t{task.SignalMask:x16}\n");
        sb.Append(Inv, $"SigIgn:\t{ignored:x16}\nSigCgt:\t{caught:x16}\n");
        sb.Append(Inv, $"CapInh:\t{caps.Inheritable:x16}\nCapPrm:\t{caps.Permitted:x16}\nCapEff:\t{caps.Effective:x16}\nCapBnd:\t{caps.Bounding:x16}\nCapAmb:\t{caps.Ambient:x16}\n");
        sb.Append(Inv, $"NoNewPrivs:\t{(task.NoNewPrivs ? 1 : 0)}\nSeccomp:\t{task.Seccomp?.Mode ?? 0}\nSeccomp_filters:\t{task.Seccomp?.Count ?? 0}\nSpeculation_Store_Bypass:\tthread vulnerable\n");
        sb.Append(Inv, $"Cpus_allowed:\t{CpuMask(cpus)}\nCpus_allowed_list:\t{(cpus == 1 ? "0" : $"0-{cpus - 1}")}\n");
        sb.Append("Mems_allowed:\t1\nMems_allowed_list:\t0\nvoluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
        return sb.ToString();
    }

    public static string Statm(Task task)
    {
        ulong size = (task.Mm?.VirtualBytes ?? 0) / 4096;
        long rss = (task.Mm?.ResidentBytes ?? 0) / 4096;
        return string.Create(Inv, $"{size} {rss} 0 0 0 {size} 0\n");
    }

    /// <summary>cmdline/environ: the bytes of [start, end) in the task's memory (empty for a zombie or on a fault).</summary>
    public static byte[] ReadGuestRange(Task task, ulong start, ulong end)
    {
        if (end <= start || task.Mm is null) return [];
        int len = (int)Math.Min(end - start, (ulong)MaxGuestRange);
        var buf = new byte[len];
        return task.CopyIn(start, buf) < 0 ? [] : buf;
    }

    public static string Mounts(MountTable table)
    {
        var sb = new StringBuilder();
        foreach (var m in table.Snapshot())
        {
            sb.Append(Escape(m.Source.Length > 0 ? m.Source : "none")).Append(' ').Append(Escape(m.Path)).Append(' ')
              .Append(m.FileSystem.Type).Append(' ').Append(Options(m)).Append(" 0 0\n");
        }
        return sb.ToString();
    }

    public static string Mountinfo(MountTable table)
    {
        var mounts = table.Snapshot();
        const int baseId = 20;
        var sb = new StringBuilder();
        for (int i = 0; i < mounts.Length; i++)
        {
            var m = mounts[i];
            int parent = baseId - 1;
            int best = -1;
            for (int j = 0; j < mounts.Length; j++)
            {
                if (j == i || !IsUnder(m.Path, mounts[j].Path)) continue;
                if (best < 0 || mounts[j].Path.Length > mounts[best].Path.Length) best = j;
            }
            if (best >= 0) parent = baseId + best;
            ulong dev = m.FileSystem.Dev;
            sb.Append(Inv, $"{baseId + i} {parent} {DeviceNumber.Major(dev)}:{DeviceNumber.Minor(dev)} {Escape(m.FsRoot)} {Escape(m.Path)} {Options(m)} - ");
            sb.Append(m.FileSystem.Type).Append(' ').Append(Escape(m.Source.Length > 0 ? m.Source : "none")).Append(' ')
              .Append(m.SuperOptions ?? (m.ReadOnly || m.FileSystem.ReadOnly ? "ro" : "rw")).Append('\n');
        }
        return sb.ToString();
    }

    public static string Limits(ThreadGroup group)
    {
        string[] names = ["Max cpu time", "Max file size", "Max data size", "Max stack size", "Max core file size",
            "Max resident set", "Max processes", "Max open files", "Max locked memory", "Max address space",
            "Max file locks", "Max pending signals", "Max msgqueue size", "Max nice priority", "Max realtime priority",
            "Max realtime timeout"];
        string[] units = ["seconds", "bytes", "bytes", "bytes", "bytes", "bytes", "processes", "files", "bytes", "bytes",
            "locks", "signals", "bytes", "", "", "us"];
        var sb = new StringBuilder();
        sb.Append(Inv, $"{"Limit",-26}{"Soft Limit",-21}{"Hard Limit",-21}{"Units",-10}\n");
        lock (group.Rlimits)
        {
            for (int i = 0; i < names.Length; i++)
            {
                string cur = "unlimited", max = "unlimited";
                var l = group.Rlimits[i];
                if (l.Cur != ulong.MaxValue) cur = l.Cur.ToString(Inv);
                if (l.Max != ulong.MaxValue) max = l.Max.ToString(Inv);
                sb.Append(Inv, $"{names[i],-26}{cur,-21}{max,-21}{units[i],-10}\n");
            }
        }
        return sb.ToString();
    }

    private static void SignalSets(ThreadGroup group, out ulong ignored, out ulong caught)
    {
        ignored = caught = 0;
        var actions = group.Handlers.Actions;
        for (int sig = 1; sig < actions.Length; sig++)
        {
            ulong h = actions[sig].Handler;
            if (h == SigAction.SIG_IGN) ignored |= PendingSignals.Bit(sig);
            else if (h != SigAction.SIG_DFL) caught |= PendingSignals.Bit(sig);
        }
    }

    private static string CpuMask(int cpus)
    {
        if (cpus >= 64) return new string('f', (cpus + 3) / 4);
        ulong mask = cpus == 64 ? ulong.MaxValue : (1UL << cpus) - 1;
        return mask.ToString("x", Inv);
    }

    /// <summary>
    /// mount(8)'s verbs, not flags a mount keeps: bind/rbind make it, the propagation words set its
    /// propagation (mountinfo's optional fields), remount/defaults change nothing shown. Never printed.
    /// </summary>
    private static readonly HashSet<string> NotShown = new(StringComparer.Ordinal)
    {
        "bind", "rbind", "remount", "defaults", "private", "rprivate", "shared", "rshared", "slave", "rslave",
        "unbindable", "runbindable", "rw", "ro",
    };

    private static string Options(Mount m)
    {
        bool ro = m.ReadOnly || m.FileSystem.ReadOnly;
        string opts = m.Options;
        if (opts.Length > 0 && opts.Split(',').Any(NotShown.Contains))
        {
            var kept = opts.Split(',', StringSplitOptions.RemoveEmptyEntries).Where(o => !NotShown.Contains(o));
            return string.Join(',', kept.Prepend(ro ? "ro" : "rw"));
        }
        if (opts.Length == 0) return ro ? "ro" : "rw";
        if (opts.StartsWith("rw", StringComparison.Ordinal) || opts.StartsWith("ro", StringComparison.Ordinal)) return opts;
        return (ro ? "ro," : "rw,") + opts;
    }

    private static bool IsUnder(string path, string ancestor) =>
        ancestor == "/" ? path != "/" : path.StartsWith(ancestor + "/", StringComparison.Ordinal);

    /// <summary>Escapes space, tab, newline and backslash as \ooo, as /proc/mounts does.</summary>
    private static string Escape(string s)
    {
        if (s.AsSpan().IndexOfAny(" \t\n\\") < 0) return s;
        var sb = new StringBuilder(s.Length + 8);
        foreach (char ch in s)
        {
            if (ch is ' ' or '\t' or '\n' or '\\') sb.Append('\\').Append(Convert.ToString(ch, 8).PadLeft(3, '0'));
            else sb.Append(ch);
        }
        return sb.ToString();
    }
}
