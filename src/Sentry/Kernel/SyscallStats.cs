using System.Diagnostics;
using System.Globalization;
using System.Text;
using Csrunsc.Sentry.Syscalls;

namespace Csrunsc.Sentry.Kernel;

/// <summary>
/// Per-syscall counters since the sandbox started: calls, errors, total time (handler entry to
/// return, blocking included, as strace -c -w). Recording is three interlocked adds into fixed
/// arrays and, the first time an unimplemented or partial call is seen, two reference writes (the
/// caller's comm string already exists): nothing is allocated on the syscall path.
/// </summary>
public sealed class SyscallStats
{
    private const int Slots = SyscallTable.Size + 1; // the last slot counts numbers beyond the table

    private readonly long[] _count = new long[Slots];
    private readonly long[] _errors = new long[Slots];
    private readonly long[] _ticks = new long[Slots];
    private readonly string?[] _firstComm = new string?[Slots];
    private readonly int[] _firstPid = new int[Slots];

    /// <summary>Per number: 0 full, 1 partial, 2 refused on purpose (Error), 3 unimplemented.</summary>
    private readonly byte[] _level = new byte[Slots];

    public SyscallStats()
    {
        for (int nr = 0; nr < Slots; nr++)
        {
            var e = SyscallTable.Get(nr);
            _level[nr] = e is null ? (byte)3 : (byte)(e.Level switch { SupportLevel.Partial => 1, SupportLevel.Error => 2, _ => 0 });
        }
    }

    public void Record(Task task, long nr, long ret, long ticks)
    {
        int i = (ulong)nr < SyscallTable.Size ? (int)nr : SyscallTable.Size;
        long n = Interlocked.Increment(ref _count[i]);
        if (ret < 0 && ret > -4096) Interlocked.Increment(ref _errors[i]);
        Interlocked.Add(ref _ticks[i], ticks);
        if (n == 1 && _level[i] != 0)
        {
            _firstPid[i] = task.ThreadGroup.Tgid;
            Volatile.Write(ref _firstComm[i], task.ThreadGroup.Comm);
        }
    }

    public long Total
    {
        get
        {
            long sum = 0;
            for (int i = 0; i < Slots; i++) sum += Volatile.Read(ref _count[i]);
            return sum;
        }
    }

    /// <summary>(number, name, calls, errors, total ns) of every syscall made at least once, most called first.</summary>
    public List<(int Nr, string Name, long Calls, long Errors, long Ns)> Snapshot()
    {
        var list = new List<(int, string, long, long, long)>();
        for (int i = 0; i < Slots; i++)
        {
            long c = Volatile.Read(ref _count[i]);
            if (c == 0) continue;
            long ns = (long)(Volatile.Read(ref _ticks[i]) * (1e9 / Stopwatch.Frequency));
            list.Add((i, i == SyscallTable.Size ? "(out of range)" : SyscallTable.NameOf(i), c, Volatile.Read(ref _errors[i]), ns));
        }
        list.Sort((a, b) => b.Item3 != a.Item3 ? b.Item3.CompareTo(a.Item3) : a.Item1.CompareTo(b.Item1));
        return list;
    }

    /// <summary>Like strace -c: calls, errors, total and per-call time per syscall, and a total line.</summary>
    public string Table()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"{"syscall",-24} {"calls",10} {"errors",8} {"total_us",14} {"us/call",10}\n");
        long calls = 0, errors = 0, ns = 0;
        foreach (var (_, name, c, e, t) in Snapshot())
        {
            sb.Append(inv, $"{name,-24} {c,10} {e,8} {t / 1000,14} {t / 1000.0 / c,10:F2}\n");
            calls += c;
            errors += e;
            ns += t;
        }
        sb.Append(inv, $"{"total",-24} {calls,10} {errors,8} {ns / 1000,14}\n");
        return sb.ToString();
    }

    /// <summary>
    /// The exit summary: each unimplemented, partial or refused syscall the workload made, with its
    /// count and the program that made it first. Empty when there were none.
    /// </summary>
    public string Summary()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        foreach (var level in new byte[] { 3, 1, 2 })
        {
            for (int i = 0; i < Slots; i++)
            {
                long c = Volatile.Read(ref _count[i]);
                if (c == 0 || _level[i] != level) continue;
                string what = level switch { 3 => "unimplemented", 1 => "partial", _ => "refused" };
                string name = i == SyscallTable.Size ? "(out of range)" : SyscallTable.NameOf(i);
                sb.Append(inv, $"csrunsc: summary: {what} syscall {name} ({i}): {c} call{(c == 1 ? "" : "s")}, {Volatile.Read(ref _errors[i])} failed, first by \"{_firstComm[i]}\" (pid {_firstPid[i]})");
                string note = SyscallTable.Get(i)?.Note ?? "";
                if (note.Length > 0) sb.Append(" — ").Append(note);
                sb.Append('\n');
            }
        }
        return sb.ToString();
    }
}
