using System.Diagnostics;
using System.Globalization;
using System.Text;
using Csrunsc.Sentry.Fs.Gofer;
using Csrunsc.Sentry.Fs.Proc;
using Csrunsc.Sentry.Kernel;
using Csrunsc.Sentry.Syscalls;
using Csrunsc.Sentry.Syscalls.Strace;

namespace Csrunsc.Sentry.Diagnostics;

/// <summary>
/// `csrunsc debug ID --ps | --fds PID | --mounts | --tasks`: the guest as the Sentry sees it, as
/// text tables. Built on the control thread from the kernel's tables (never on the syscall path).
/// </summary>
public static class DebugViews
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The guest's process tree: pid, parent, threads, state, command.</summary>
    public static string Ps(Kernel.Kernel kernel)
    {
        var sb = new StringBuilder("PID\tPPID\tTHREADS\tSTATE\tCOMM\n");
        foreach (var g in kernel.Pids.Groups().OrderBy(g => g.Tgid))
        {
            string state = g.Zombie ? "Z (zombie)" : g.Stopped ? "T (stopped)" : "S/R (live)";
            sb.Append(Inv, $"{g.Tgid}\t{g.Parent?.Tgid ?? 0}\t{g.TasksSnapshot().Length}\t{state}\t{g.Comm}\n");
        }
        return sb.ToString();
    }

    /// <summary>
    /// One guest process's open fds: number, close-on-exec, status flags, offset, and what it is
    /// (readlink of /proc/PID/fd/N: a path, pipe:[ino], socket:[ino], anon_inode:[...]). Null if
    /// there is no such live process.
    /// </summary>
    public static string? Fds(Kernel.Kernel kernel, int pid)
    {
        var g = kernel.Pids.GroupById(pid);
        var tasks = g?.TasksSnapshot();
        if (g is null || g.Zombie || tasks is not { Length: > 0 }) return null;
        var fds = tasks[0].Fds;
        var sb = new StringBuilder("FD\tCLOEXEC\tFLAGS\tPOS\tTARGET\n");
        foreach (int fd in fds.OpenFds())
        {
            var f = fds.Get(fd);
            if (f is null) continue;
            long pos;
            lock (f.OffsetLock) pos = f.Offset;
            string flags = StraceFlags.Open((ulong)(uint)f.Flags);
            sb.Append(Inv, $"{fd}\t{(fds.GetCloseOnExec(fd) ? "yes" : "no")}\t{flags}\t{pos}\t{ProcFdDirectory.LinkTarget(f)}\n");
        }
        return sb.ToString();
    }

    /// <summary>
    /// The container's mount table as the guest sees it (path, type, source, options) and what
    /// serves each mount: the gofer (host files, through the gofer process) or the Sentry itself
    /// (memory-backed or synthesized).
    /// </summary>
    public static string Mounts(Container container)
    {
        var sb = new StringBuilder("MOUNTPOINT\tTYPE\tSOURCE\tOPTIONS\tSERVED BY\n");
        foreach (var m in container.Mounts.Snapshot())
        {
            string opts = m.Options.Length == 0 ? (m.ReadOnly || m.FileSystem.ReadOnly ? "ro" : "rw")
                : (m.ReadOnly || m.FileSystem.ReadOnly) && !m.Options.StartsWith("ro", StringComparison.Ordinal) ? "ro," + m.Options : m.Options;
            string servedBy = m.FileSystem switch
            {
                GoferFileSystem => "gofer",
                _ when m.FileSystem.Type is "tmpfs" or "devtmpfs" or "mqueue" => "sentry (memory file)",
                _ => "sentry",
            };
            sb.Append(Inv, $"{m.Path}\t{m.FileSystem.Type}\t{(m.Source.Length > 0 ? m.Source : "none")}\t{opts}\t{servedBy}\n");
        }
        return sb.ToString();
    }

    /// <summary>
    /// The task table: each guest thread, the Sentry host thread that serves it, and the syscall it
    /// is in (name, raw arguments, for how long) or "running in the guest". This is what
    /// `debug --stacks` shows in place of managed stacks (NativeAOT cannot sample them).
    /// </summary>
    public static string Tasks(Kernel.Kernel kernel)
    {
        var sb = new StringBuilder("TID\tPID\tHOST_TID\tCOMM\tSTATE\n");
        long now = Stopwatch.GetTimestamp();
        foreach (var g in kernel.Pids.Groups().OrderBy(g => g.Tgid))
        {
            foreach (var t in g.TasksSnapshot().OrderBy(t => t.Tid))
            {
                long nr = Volatile.Read(ref t.CurrentSyscall);
                string state;
                if (g.Zombie || t.Exiting) state = "exiting";
                else if (t.InPtraceStop) state = string.Create(Inv, $"in a ptrace-stop (wait status 0x{t.PtraceStopStatus:x}{(t.PtraceStopReported ? "" : ", not yet reported")})");
                else if (nr < 0) state = g.Stopped ? "stopped (job control)" : g.StopPending ? "entering a group stop" : "running in the guest";
                else
                {
                    var r = t.Regs;
                    double ms = (now - Volatile.Read(ref t.CurrentSyscallSince)) * 1000.0 / Stopwatch.Frequency;
                    state = string.Create(Inv, $"in syscall {SyscallTable.NameOf(nr)}(0x{r.Rdi:x}, 0x{r.Rsi:x}, 0x{r.Rdx:x}, 0x{r.R10:x}, 0x{r.R8:x}, 0x{r.R9:x}) for {ms:F0} ms");
                }
                sb.Append(Inv, $"{t.Tid}\t{g.Tgid}\t{t.HostTid}\t{g.Comm}\t{state}\n");
            }
        }
        return sb.ToString();
    }
}
