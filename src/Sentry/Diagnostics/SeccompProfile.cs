using System.Text;
using System.Text.Json;
using Csrunsc.Sentry.Syscalls;

namespace Csrunsc.Sentry.Diagnostics;

/// <summary>
/// `csrunsc profile ID` / `run --profile-seccomp FILE`: an OCI linux.seccomp profile allowing the
/// syscalls the workload made (by name, from the kernel's per-syscall counters; x86-64), every
/// other call failing with EPERM. A second rule allows what an OCI runtime's own init does between
/// installing the filter and exec'ing the container process (runc's: the exec FIFO handshake and
/// the Go runtime's calls, then execve), which the workload's counters cannot show: in csrunsc the
/// Sentry loads init without a guest execve. Argument filters are not generated (names only).
/// </summary>
public static class SeccompProfile
{
    /// <summary>What runc's init (Go) may call after its filter is installed, up to and including execve.</summary>
    public static readonly string[] RuntimeStart =
    [
        "execve", "futex", "openat", "write", "read", "close", "fcntl", "fstat", "newfstatat", "mmap", "munmap",
        "madvise", "mprotect", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "gettid", "getpid",
        "tgkill", "nanosleep", "sched_yield", "epoll_pwait", "epoll_ctl", "exit", "exit_group", "capget", "capset",
        "prctl", "setgroups", "setresuid", "setresgid", "getppid", "clone", "clone3", "brk", "arch_prctl",
        "set_tid_address", "set_robust_list", "rseq", "prlimit64", "getrandom", "readlinkat", "close_range",
        "fstatfs", "getdents64", "openat2", // runc's check that /proc/self/fd is procfs, and its fd walk
    ];

    public static string Json(Kernel.Kernel kernel)
    {
        var used = kernel.Stats.Snapshot()
            .Where(s => s.Nr < SyscallTable.Size)
            .Select(s => s.Name)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        var runtime = RuntimeStart.Where(n => !used.Contains(n, StringComparer.Ordinal)).Order(StringComparer.Ordinal).ToList();
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("defaultAction", "SCMP_ACT_ERRNO");
            w.WriteNumber("defaultErrnoRet", 1);
            w.WriteStartArray("architectures");
            w.WriteStringValue("SCMP_ARCH_X86_64");
            w.WriteEndArray();
            w.WriteStartArray("syscalls");
            Rule(w, used);
            if (runtime.Count > 0) Rule(w, runtime);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    private static void Rule(Utf8JsonWriter w, List<string> names)
    {
        w.WriteStartObject();
        w.WriteStartArray("names");
        foreach (var n in names) w.WriteStringValue(n);
        w.WriteEndArray();
        w.WriteString("action", "SCMP_ACT_ALLOW");
        w.WriteEndObject();
    }
}
