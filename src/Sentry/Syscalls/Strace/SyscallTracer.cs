using System.Globalization;
using System.Text;
using Csrunsc.Native;
using Task = Csrunsc.Sentry.Kernel.Task;

namespace Csrunsc.Sentry.Syscalls.Strace;

/// <summary>A syscall between its entry and its exit: the input arguments already formatted.</summary>
public struct StraceCall
{
    public long Nr;
    public DateTime Time;
    public ulong[] Args;
    public string?[] Text;
    public bool[] Omitted;
}

/// <summary>
/// --strace: one strace-shaped line per guest syscall ("[pid 1] 12:00:00.000001 openat(AT_FDCWD,
/// "/etc/hostname", O_RDONLY) = 3"), signal deliveries ("--- SIGCHLD {...} ---") and exits
/// ("+++ exited with 0 +++"). Only reached when tracing is on; the task's syscall path checks
/// one flag and otherwise never comes here.
/// </summary>
public sealed class SyscallTracer
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly Action<string> _sink;
    private readonly bool[]? _only;

    /// <summary>only: syscall names to trace (--strace-syscalls), or null for all.</summary>
    public SyscallTracer(Action<string> sink, IReadOnlyCollection<string>? only)
    {
        _sink = sink;
        if (only is { Count: > 0 })
        {
            _only = new bool[SyscallTable.Size];
            var names = new HashSet<string>(only, StringComparer.Ordinal);
            for (int nr = 0; nr < SyscallTable.Size; nr++)
                if (names.Contains(SyscallTable.NameOf(nr))) _only[nr] = true;
        }
    }

    public bool Traces(long nr) => _only is null || ((ulong)nr < (ulong)_only.Length && _only[nr]);

    /// <summary>Before the handler runs: the time and every input argument.</summary>
    public StraceCall Enter(Task t, long nr, in SyscallArguments a)
    {
        var sig = StraceTable.Get(nr);
        var call = new StraceCall
        {
            Nr = nr,
            Time = DateTime.UtcNow,
            Args = [a.A0, a.A1, a.A2, a.A3, a.A4, a.A5],
            Text = new string?[sig.Args.Length],
            Omitted = new bool[sig.Args.Length],
        };
        for (int i = 0; i < sig.Args.Length; i++)
        {
            if (StraceDecoder.IsOutput(sig.Args[i])) continue;
            call.Text[i] = SafeFormat(t, sig.Args[i], i, call.Args, 0);
            call.Omitted[i] = call.Text[i] is null;
        }
        return call;
    }

    /// <summary>After the handler: output arguments, the result, and the line.</summary>
    public void Exit(Task t, ref StraceCall call, long ret)
    {
        var sig = StraceTable.Get(call.Nr);
        var sb = new StringBuilder(128);
        Prefix(sb, t.Tid, call.Time);
        sb.Append(SyscallTable.NameOf(call.Nr)).Append('(');
        bool first = true;
        for (int i = 0; i < sig.Args.Length; i++)
        {
            string? text = call.Text[i];
            if (text is null && !call.Omitted[i] && StraceDecoder.IsOutput(sig.Args[i]))
                text = SafeFormat(t, sig.Args[i], i, call.Args, ret == SyscallTable.NoReturn ? 0 : ret);
            if (text is null) continue;
            if (!first) sb.Append(", ");
            first = false;
            sb.Append(text);
        }
        sb.Append(") = ");
        if (ret == SyscallTable.NoReturn)
        {
            // execve succeeded (0); rt_sigreturn restored rax; exit and exit_group never return.
            sb.Append(call.Nr switch
            {
                59 or 322 => "0",
                15 => ((long)t.Regs.Rax).ToString(Inv),
                _ => "?",
            });
        }
        else
        {
            sb.Append(StraceDecoder.Result(call.Nr, ret, call.Args, sig.HexResult));
        }
        sb.Append('\n');
        _sink(sb.ToString());
    }

    /// <summary>A signal dequeued for delivery: "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, ...} ---".</summary>
    public void Signal(Task t, in SigInfo info)
    {
        var sb = new StringBuilder(128);
        Prefix(sb, t.Tid, DateTime.UtcNow);
        string name = StraceFlags.Signal(info.Signo);
        sb.Append("--- ").Append(name).Append(" {si_signo=").Append(name).Append(", si_code=").Append(SiCode(info.Signo, info.Code));
        if (info.Signo == Libc.SIGCHLD && info.Code > 0)
            sb.Append(", si_pid=").Append(info.Pid.ToString(Inv)).Append(", si_uid=").Append(info.Uid.ToString(Inv))
              .Append(", si_status=").Append(info.Code == 1 ? info.Status.ToString(Inv) : StraceFlags.Signal(info.Status))
              .Append(", si_utime=0, si_stime=0");
        else if (info.Signo is Libc.SIGSEGV or 7 /*SIGBUS*/ or 4 /*SIGILL*/ or 8 /*SIGFPE*/ && info.Code > 0)
            sb.Append(", si_addr=").Append(StraceDecoder.Ptr(info.Addr));
        else if (info.Code <= 0)
            sb.Append(", si_pid=").Append(info.Pid.ToString(Inv)).Append(", si_uid=").Append(info.Uid.ToString(Inv));
        sb.Append("} ---\n");
        _sink(sb.ToString());
    }

    /// <summary>The last thread of a process is gone: "+++ exited with N +++" or "+++ killed by SIGX +++".</summary>
    public void Exited(int tid, int waitStatus)
    {
        var sb = new StringBuilder(64);
        Prefix(sb, tid, DateTime.UtcNow);
        if ((waitStatus & 0x7f) == 0) sb.Append("+++ exited with ").Append(((waitStatus >> 8) & 0xff).ToString(Inv)).Append(" +++\n");
        else sb.Append("+++ killed by ").Append(StraceFlags.Signal(waitStatus & 0x7f)).Append((waitStatus & 0x80) != 0 ? " (core dumped)" : "").Append(" +++\n");
        _sink(sb.ToString());
    }

    private static void Prefix(StringBuilder sb, int tid, DateTime time) =>
        sb.Append("[pid ").Append(tid.ToString(Inv)).Append("] ").Append(time.ToString("HH:mm:ss.ffffff", Inv)).Append(' ');

    /// <summary>A decoder bug must not fail the guest's call: the argument prints raw instead.</summary>
    private static string? SafeFormat(Task t, StraceArg kind, int i, ulong[] args, long ret)
    {
        try
        {
            return StraceDecoder.Format(t, kind, i, args, ret);
        }
        catch (Exception)
        {
            return "0x" + args[i].ToString("x", Inv);
        }
    }

    private static string SiCode(int signo, int code)
    {
        switch (code)
        {
            case 0: return "SI_USER";
            case 0x80: return "SI_KERNEL";
            case -1: return "SI_QUEUE";
            case -2: return "SI_TIMER";
            case -3: return "SI_MESGQ";
            case -4: return "SI_ASYNCIO";
            case -6: return "SI_TKILL";
        }
        if (signo == Libc.SIGCHLD)
            return code switch { 1 => "CLD_EXITED", 2 => "CLD_KILLED", 3 => "CLD_DUMPED", 4 => "CLD_TRAPPED", 5 => "CLD_STOPPED", 6 => "CLD_CONTINUED", _ => code.ToString(Inv) };
        if (signo == Libc.SIGSEGV) return code switch { 1 => "SEGV_MAPERR", 2 => "SEGV_ACCERR", _ => code.ToString(Inv) };
        if (signo == 7) return code switch { 1 => "BUS_ADRALN", 2 => "BUS_ADRERR", 3 => "BUS_OBJERR", _ => code.ToString(Inv) };
        return code.ToString(Inv);
    }
}
