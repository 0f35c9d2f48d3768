using System.Text.Json;
using Csrunsc.Sentry.Kernel.Seccomp;
using Csrunsc.Sentry.Syscalls;

namespace Csrunsc.Seccomp;

/// <summary>
/// config.json's linux.seccomp compiled into a classic-BPF program, as runc does through
/// libseccomp: the Sentry installs it on the container's processes and evaluates it like any
/// guest filter. Names unknown on x86-64 are skipped (libseccomp's behaviour); SCMP_ACT_NOTIFY
/// (and listenerPath with it) and unknown actions, flags, architectures or operators are refused
/// at create; listenerPath without a NOTIFY action is ignored, as runc ignores it.
/// </summary>
public static class SeccompProfile
{
    private const uint EPERM = 1;
    private static readonly Dictionary<string, int> s_numbers = BuildNumbers();

    private static Dictionary<string, int> BuildNumbers()
    {
        var d = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int nr = 0; nr < SyscallTable.Size; nr++)
        {
            string name = SyscallNames.Of(nr);
            if (!string.IsNullOrEmpty(name) && !name.StartsWith("syscall_", StringComparison.Ordinal) && !char.IsDigit(name[0])) d.TryAdd(name, nr);
        }
        return d;
    }

    /// <summary>The x86-64 number of a syscall name, or -1.</summary>
    public static int NumberOf(string name) => s_numbers.TryGetValue(name, out int nr) ? nr : -1;

    /// <summary>Compiles linux.seccomp (null when absent) or returns a one-line error.</summary>
    /// <summary>Whether the profile's flags ask for SECCOMP_FILTER_FLAG_LOG.</summary>
    public static bool LogsActions(JsonElement? seccomp) =>
        seccomp is { ValueKind: JsonValueKind.Object } s && s.TryGetProperty("flags", out var flags) && flags.ValueKind == JsonValueKind.Array
        && flags.EnumerateArray().Any(f => f.ValueKind == JsonValueKind.String && f.GetString() == "SECCOMP_FILTER_FLAG_LOG");

    public static SockFilter[]? Compile(JsonElement? seccomp, out string? error)
    {
        error = null;
        if (seccomp is not { ValueKind: JsonValueKind.Object } s) return null;
        try
        {
            return CompileObject(s, out error);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or OverflowException or KeyNotFoundException)
        {
            error = "seccomp: invalid profile: " + e.Message;
            return null;
        }
    }

    private static string? Str(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static uint? UInt(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetUInt32() : null;

    private static SockFilter[]? CompileObject(JsonElement s, out string? error)
    {
        error = null;
        // runc connects to listenerPath only when the filter has an SCMP_ACT_NOTIFY action (it
        // ignores the path otherwise, as here); NOTIFY itself is refused below.
        if (s.TryGetProperty("listenerPath", out var lp) && lp.ValueKind == JsonValueKind.String && lp.GetString() is { Length: > 0 } && HasNotify(s))
        {
            error = "seccomp: listenerPath is not supported (SCMP_ACT_NOTIFY is not implemented)";
            return null;
        }
        string defaultName = Str(s, "defaultAction") ?? "";
        if (!TryAction(defaultName, UInt(s, "defaultErrnoRet"), out uint defaultAction, out error)) return null;
        if (s.TryGetProperty("architectures", out var arches) && arches.ValueKind == JsonValueKind.Array)
            foreach (var arch in arches.EnumerateArray())
                if (arch.GetString() is not ("SCMP_ARCH_X86_64" or "SCMP_ARCH_X86" or "SCMP_ARCH_X32" or "SCMP_ARCH_AARCH64" or "SCMP_ARCH_ARM"
                    or "SCMP_ARCH_MIPS" or "SCMP_ARCH_MIPS64" or "SCMP_ARCH_MIPS64N32" or "SCMP_ARCH_MIPSEL" or "SCMP_ARCH_MIPSEL64"
                    or "SCMP_ARCH_MIPSEL64N32" or "SCMP_ARCH_PPC" or "SCMP_ARCH_PPC64" or "SCMP_ARCH_PPC64LE" or "SCMP_ARCH_S390"
                    or "SCMP_ARCH_S390X" or "SCMP_ARCH_RISCV64"))
                {
                    error = $"seccomp: invalid architecture {arch.GetRawText()}";
                    return null;
                }
        if (s.TryGetProperty("flags", out var flags) && flags.ValueKind == JsonValueKind.Array)
            foreach (var f in flags.EnumerateArray())
                if (f.GetString() is not ("SECCOMP_FILTER_FLAG_TSYNC" or "SECCOMP_FILTER_FLAG_LOG" or "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))
                {
                    error = $"seccomp: flag {f.GetRawText()} is not supported";
                    return null;
                }

        var asm = new BpfAssembler();
        // Only x86-64 syscalls reach the filters (32-bit entries are refused before them).
        asm.LoadWord(4);
        int archOk = asm.NewLabel(), archBad = asm.NewLabel();
        asm.JumpIfEqual(SeccompData.AuditArchX86_64, archOk, archBad);
        asm.Mark(archBad);
        asm.Return(SeccompAction.KillThread);
        asm.Mark(archOk);

        if (s.TryGetProperty("syscalls", out var syscalls) && syscalls.ValueKind == JsonValueKind.Array)
            foreach (var rule in syscalls.EnumerateArray())
            {
                string actionName = Str(rule, "action") ?? "";
                if (!TryAction(actionName, UInt(rule, "errnoRet"), out uint action, out error)) return null;
                var conditions = new List<(int Index, ulong Value, ulong ValueTwo, string Op)>();
                if (rule.TryGetProperty("args", out var args) && args.ValueKind == JsonValueKind.Array)
                    foreach (var arg in args.EnumerateArray())
                    {
                        int index = (int)(UInt(arg, "index") ?? 0);
                        string op = Str(arg, "op") ?? "";
                        if (index > 5 || op is not ("SCMP_CMP_NE" or "SCMP_CMP_LT" or "SCMP_CMP_LE" or "SCMP_CMP_EQ" or "SCMP_CMP_GE"
                            or "SCMP_CMP_GT" or "SCMP_CMP_MASKED_EQ"))
                        {
                            error = $"seccomp: invalid argument comparison {arg.GetRawText()}";
                            return null;
                        }
                        ulong value = arg.TryGetProperty("value", out var v) ? v.GetUInt64() : 0;
                        ulong valueTwo = arg.TryGetProperty("valueTwo", out var v2) ? v2.GetUInt64() : 0;
                        conditions.Add((index, value, valueTwo, op));
                    }
                // runc: comparisons on distinct arguments are ANDed in one rule; several on the
                // same argument become separate rules (ORed).
                bool sameArgTwice = conditions.Select(c => c.Index).Distinct().Count() != conditions.Count;
                var groups = sameArgTwice ? conditions.Select(c => new[] { c }).ToList() : [conditions.ToArray()];
                if (!rule.TryGetProperty("names", out var names) || names.ValueKind != JsonValueKind.Array) continue;
                foreach (var nameElement in names.EnumerateArray())
                {
                    int nr = NumberOf(nameElement.GetString() ?? "");
                    if (nr < 0) continue;
                    foreach (var group in groups) EmitRule(asm, nr, group, action);
                }
            }
        asm.Return(defaultAction);
        var program = asm.Build(out error);
        if (program is null) return null;
        if (program.Length > SeccompProgram.MaxInstructions)
        {
            error = $"seccomp: the profile compiles to {program.Length} instructions (at most {SeccompProgram.MaxInstructions})";
            return null;
        }
        return program;
    }

    /// <summary>if (nr == N &amp;&amp; every condition) return action;</summary>
    private static void EmitRule(BpfAssembler asm, int nr, (int Index, ulong Value, ulong ValueTwo, string Op)[] conditions, uint action)
    {
        int next = asm.NewLabel();
        asm.LoadWord(0);
        int match = asm.NewLabel();
        asm.JumpIfEqual((uint)nr, match, next);
        asm.Mark(match);
        foreach (var (index, value, valueTwo, op) in conditions)
        {
            uint lo = (uint)(16 + index * 8), hi = lo + 4;
            int ok = asm.NewLabel(), checkLow = asm.NewLabel();
            uint vHi = (uint)(value >> 32), vLo = (uint)value;
            switch (op)
            {
                case "SCMP_CMP_EQ":
                    asm.LoadWord(hi); asm.JumpIfEqual(vHi, checkLow, next);
                    asm.Mark(checkLow); asm.LoadWord(lo); asm.JumpIfEqual(vLo, ok, next);
                    break;
                case "SCMP_CMP_NE":
                    asm.LoadWord(hi); asm.JumpIfEqual(vHi, checkLow, ok);
                    asm.Mark(checkLow); asm.LoadWord(lo); asm.JumpIfEqual(vLo, next, ok);
                    break;
                case "SCMP_CMP_MASKED_EQ":
                {
                    uint mHi = (uint)(value >> 32), mLo = (uint)value;
                    asm.LoadWord(hi); asm.And(mHi); asm.JumpIfEqual((uint)(valueTwo >> 32), checkLow, next);
                    asm.Mark(checkLow); asm.LoadWord(lo); asm.And(mLo); asm.JumpIfEqual((uint)valueTwo, ok, next);
                    break;
                }
                case "SCMP_CMP_GT":
                case "SCMP_CMP_GE":
                {
                    int hiEq = asm.NewLabel();
                    asm.LoadWord(hi); asm.JumpIfGreater(vHi, ok, hiEq);
                    asm.Mark(hiEq); asm.JumpIfEqual(vHi, checkLow, next);
                    asm.Mark(checkLow); asm.LoadWord(lo);
                    if (op == "SCMP_CMP_GT") asm.JumpIfGreater(vLo, ok, next); else asm.JumpIfGreaterOrEqual(vLo, ok, next);
                    break;
                }
                default: // SCMP_CMP_LT, SCMP_CMP_LE
                {
                    int hiEq = asm.NewLabel();
                    asm.LoadWord(hi); asm.JumpIfGreater(vHi, next, hiEq);
                    asm.Mark(hiEq); asm.JumpIfEqual(vHi, checkLow, ok);
                    asm.Mark(checkLow); asm.LoadWord(lo);
                    if (op == "SCMP_CMP_LT") asm.JumpIfGreaterOrEqual(vLo, next, ok); else asm.JumpIfGreater(vLo, next, ok);
                    break;
                }
            }
            asm.Mark(ok);
        }
        asm.Return(action);
        asm.Mark(next);
    }

    /// <summary>Whether the default action or a rule's action is SCMP_ACT_NOTIFY.</summary>
    private static bool HasNotify(JsonElement s)
    {
        if (Str(s, "defaultAction") == "SCMP_ACT_NOTIFY") return true;
        if (!s.TryGetProperty("syscalls", out var syscalls) || syscalls.ValueKind != JsonValueKind.Array) return false;
        foreach (var rule in syscalls.EnumerateArray())
            if (rule.ValueKind == JsonValueKind.Object && Str(rule, "action") == "SCMP_ACT_NOTIFY") return true;
        return false;
    }

    /// <summary>An OCI action name as a SECCOMP_RET_* value (ERRNO's default value is EPERM, as runc).</summary>
    private static bool TryAction(string name, uint? errnoRet, out uint action, out string? error)
    {
        error = null;
        action = name switch
        {
            "SCMP_ACT_KILL" or "SCMP_ACT_KILL_THREAD" => SeccompAction.KillThread,
            "SCMP_ACT_KILL_PROCESS" => SeccompAction.KillProcess,
            "SCMP_ACT_TRAP" => SeccompAction.Trap,
            "SCMP_ACT_ERRNO" => SeccompAction.Errno | Math.Min(errnoRet ?? EPERM, 0xffffu),
            "SCMP_ACT_TRACE" => SeccompAction.Trace | Math.Min(errnoRet ?? EPERM, 0xffffu),
            "SCMP_ACT_ALLOW" => SeccompAction.Allow,
            "SCMP_ACT_LOG" => SeccompAction.Log,
            _ => uint.MaxValue,
        };
        if (name == "SCMP_ACT_NOTIFY") error = "seccomp: SCMP_ACT_NOTIFY is not supported (seccomp user notification is not implemented)";
        else if (action == uint.MaxValue) error = $"seccomp: invalid action \"{name}\"";
        return error is null;
    }
}
