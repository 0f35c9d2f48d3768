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
/// Sentry loads init without a guest execve. Argument filters where a value means something and
/// the kernel recorded it (<see cref="Kernel.SyscallArgumentUse"/>): socket and socketpair by
/// family (one SCMP_CMP_EQ rule per family used: socket(AF_NETLINK) fails with the profile's errno
/// when only AF_INET and AF_UNIX were used), clone by its namespace bits (SCMP_CMP_MASKED_EQ of the
/// bits of Docker's mask 0x7E020000 the workload did not use, against 0), unshare the same way
/// (with CLONE_NEWTIME), personality by persona (SCMP_CMP_EQ each, up to 8). clone3 takes its
/// flags in memory, which seccomp cannot read: allowed by name when used.
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
        var filtered = ArgumentRules(kernel.ArgumentUse, used);
        var plain = used.Where(n => !filtered.Any(f => f.Name == n)).ToList();
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
            if (plain.Count > 0) Rule(w, plain, []);
            foreach (var (name, args) in filtered) Rule(w, [name], args);
            if (runtime.Count > 0) Rule(w, runtime, []);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    /// <summary>One OCI seccomp argument condition.</summary>
    public readonly record struct Condition(int Index, ulong Value, ulong ValueTwo, string Op);

    /// <summary>
    /// The rules with argument conditions for the used syscalls whose values were recorded: one
    /// entry per allowed value (entries of one name are alternatives). A name whose values could not
    /// all be kept (a family outside 0..63, more than 8 personas) gets no entry here and stays a plain name.
    /// </summary>
    public static List<(string Name, Condition[] Args)> ArgumentRules(Kernel.SyscallArgumentUse use, ICollection<string> used)
    {
        var rules = new List<(string, Condition[])>();
        foreach (var (name, families) in new[] { ("socket", use.SocketFamilies()), ("socketpair", use.SocketFamilies(pair: true)) })
        {
            if (!used.Contains(name) || families is null || families.Count == 0) continue;
            foreach (int f in families) rules.Add((name, [new Condition(0, (ulong)f, 0, "SCMP_CMP_EQ")]));
        }
        foreach (var (name, all, seen) in new[]
        {
            ("clone", Kernel.SyscallArgumentUse.CloneNamespaceBits, use.CloneNamespaces),
            ("unshare", Kernel.SyscallArgumentUse.UnshareNamespaceBits, use.UnshareNamespaces),
        })
        {
            ulong refused = all & ~seen;
            if (used.Contains(name) && refused != 0) rules.Add((name, [new Condition(0, refused, 0, "SCMP_CMP_MASKED_EQ")]));
        }
        if (used.Contains("personality") && use.Personas() is { Count: > 0 } personas)
            foreach (uint p in personas) rules.Add(("personality", [new Condition(0, p, 0, "SCMP_CMP_EQ")]));
        return rules;
    }

    private static void Rule(Utf8JsonWriter w, List<string> names, Condition[] args)
    {
        w.WriteStartObject();
        w.WriteStartArray("names");
        foreach (var n in names) w.WriteStringValue(n);
        w.WriteEndArray();
        w.WriteString("action", "SCMP_ACT_ALLOW");
        if (args.Length > 0)
        {
            w.WriteStartArray("args");
            foreach (var c in args)
            {
                w.WriteStartObject();
                w.WriteNumber("index", c.Index);
                w.WriteNumber("value", c.Value);
                w.WriteNumber("valueTwo", c.ValueTwo);
                w.WriteString("op", c.Op);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }
}
