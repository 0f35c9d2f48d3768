using System.Text.Json;
using Csrunsc.Sentry.Kernel.Seccomp;
using Csrunsc.Sentry.Syscalls;
using Xunit;

namespace Csrunsc.Tests.Syscalls;

/// <summary>The Sentry's classic-BPF validator and interpreter, and the config.json profile compiler.</summary>
public sealed class SeccompProgramTests
{
    private static SeccompData Call(int nr, ulong a0 = 0, ulong a1 = 0) => new(nr, 0x401000, new SyscallArguments(a0, a1, 0, 0, 0, 0));

    private static uint Run(SockFilter[] prog, in SeccompData d)
    {
        var p = SeccompProgram.Create(prog, out int err);
        Assert.True(p is not null, $"refused: {err}");
        return p!.Evaluate(in d);
    }

    [Fact]
    public void RefusesWhatLinuxRefuses()
    {
        SockFilter ret = new(0x06, 0, 0, SeccompAction.Allow);
        Assert.Null(SeccompProgram.Create([], out _));
        Assert.Null(SeccompProgram.Create([new(0xffff, 0, 0, 0), ret], out _));        // unknown opcode
        Assert.Null(SeccompProgram.Create([new(0x15, 5, 0, 0), ret], out _));          // jump past the end
        Assert.Null(SeccompProgram.Create([new(0x20, 0, 0, 2), ret], out _));          // misaligned load
        Assert.Null(SeccompProgram.Create([new(0x20, 0, 0, 64), ret], out _));         // past seccomp_data
        Assert.Null(SeccompProgram.Create([new(0x34, 0, 0, 0), ret], out _));          // DIV by constant 0
        Assert.Null(SeccompProgram.Create([new(0x64, 0, 0, 32), ret], out _));         // LSH by 32
        Assert.Null(SeccompProgram.Create([new(0x02, 0, 0, 16), ret], out _));         // ST to slot 16
        Assert.Null(SeccompProgram.Create([new(0x20, 0, 0, 0)], out int e));           // no final RET
        Assert.Equal(-Csrunsc.Native.Errno.EINVAL, e);
        Assert.Null(SeccompProgram.Create(Enumerable.Repeat(ret, 4097).ToArray(), out _));
        Assert.NotNull(SeccompProgram.Create(Enumerable.Repeat(ret, 4096).ToArray(), out _));
    }

    [Fact]
    public void InterpretsLoadsMemoryAndAlu()
    {
        // A = arg0 high word; M[1] = A; X = M[1]; A = X + 1; A &= 0xf; return ERRNO | A
        SockFilter[] prog =
        [
            new(0x20, 0, 0, 20), new(0x02, 0, 0, 1), new(0x61, 0, 0, 1), new(0x87, 0, 0, 0),
            new(0x04, 0, 0, 1), new(0x54, 0, 0, 0xf), new(0x44, 0, 0, SeccompAction.Errno), new(0x16, 0, 0, 0),
        ];
        Assert.Equal(SeccompAction.Errno | 4, Run(prog, Call(1, 0x0000_0013_0000_0000)));
        SockFilter[] arch = [new(0x20, 0, 0, 4), new(0x15, 0, 1, SeccompData.AuditArchX86_64), new(0x06, 0, 0, 1), new(0x06, 0, 0, 2)];
        Assert.Equal(1u, Run(arch, Call(0)));
    }

    [Fact]
    public void StackedFiltersTakeTheMostRestrictive()
    {
        SeccompProgram P(uint action) => SeccompProgram.Create([new(0x06, 0, 0, action)], out _)!;
        var chain = SeccompFilterChain.Push(null, P(SeccompAction.Errno | 5), false);
        chain = SeccompFilterChain.Push(chain, P(SeccompAction.Allow), false);
        Assert.Equal(SeccompAction.Errno | 5, chain.Evaluate(Call(0), out _));
        chain = SeccompFilterChain.Push(chain, P(SeccompAction.Errno | 7), false);
        Assert.Equal(SeccompAction.Errno | 7, chain.Evaluate(Call(0), out _));
        chain = SeccompFilterChain.Push(chain, P(SeccompAction.Trap), false);
        Assert.Equal(SeccompAction.Trap, chain.Evaluate(Call(0), out _));
        chain = SeccompFilterChain.Push(chain, P(SeccompAction.KillProcess), false);
        Assert.Equal(SeccompAction.KillProcess, chain.Evaluate(Call(0), out _));
        Assert.Equal(5, chain.Count);
    }

    private static uint Profile(string json, in SeccompData d)
    {
        var prog = Csrunsc.Seccomp.SeccompProfile.Compile(JsonDocument.Parse(json).RootElement, out string? error);
        Assert.True(error is null, error);
        return Run(prog!, d);
    }

    [Theory]
    [InlineData("SCMP_CMP_EQ", 5UL, 0UL, 5UL, true)]
    [InlineData("SCMP_CMP_EQ", 5UL, 0UL, 0x1_0000_0005UL, false)]
    [InlineData("SCMP_CMP_NE", 5UL, 0UL, 0x1_0000_0005UL, true)]
    [InlineData("SCMP_CMP_NE", 5UL, 0UL, 5UL, false)]
    [InlineData("SCMP_CMP_LT", 0x1_0000_0000UL, 0UL, 0xffff_ffffUL, true)]
    [InlineData("SCMP_CMP_LT", 0x1_0000_0000UL, 0UL, 0x1_0000_0000UL, false)]
    [InlineData("SCMP_CMP_LE", 0x1_0000_0000UL, 0UL, 0x1_0000_0000UL, true)]
    [InlineData("SCMP_CMP_LE", 0x1_0000_0000UL, 0UL, 0x1_0000_0001UL, false)]
    [InlineData("SCMP_CMP_GT", 0x1_0000_0000UL, 0UL, 0x1_0000_0001UL, true)]
    [InlineData("SCMP_CMP_GT", 0x1_0000_0000UL, 0UL, 0x2UL, false)]
    [InlineData("SCMP_CMP_GE", 0x1_0000_0000UL, 0UL, 0x1_0000_0000UL, true)]
    [InlineData("SCMP_CMP_GE", 0x1_0000_0000UL, 0UL, 0xffff_ffffUL, false)]
    [InlineData("SCMP_CMP_MASKED_EQ", 0xff00_0000_00ffUL, 0x1200_0000_0034UL, 0x12ab_cdef_1234UL, true)]
    [InlineData("SCMP_CMP_MASKED_EQ", 0xff00_0000_00ffUL, 0x1200_0000_0034UL, 0x13ab_cdef_1234UL, false)]
    public void ArgumentComparisonsAreSixtyFourBit(string op, ulong value, ulong valueTwo, ulong arg, bool matches)
    {
        string json = $$"""
            {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["personality","not_a_syscall"],"action":"SCMP_ACT_ERRNO","errnoRet":9,
             "args":[{"index":1,"value":{{value}},"valueTwo":{{valueTwo}},"op":"{{op}}"}]}]}
            """;
        Assert.Equal(matches ? SeccompAction.Errno | 9 : SeccompAction.Allow, Profile(json, Call(135, 0, arg)));
        Assert.Equal(SeccompAction.Allow, Profile(json, Call(136, 0, arg)));
    }

    [Fact]
    public void ProfileActionsAndRefusals()
    {
        Assert.Equal(SeccompAction.Errno | 1, Profile("""{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ALLOW"}]}""", Call(0)));
        Assert.Equal(SeccompAction.Allow, Profile("""{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}""", Call(0)));
        Assert.Equal(SeccompAction.KillProcess, Profile("""{"defaultAction":"SCMP_ACT_KILL_PROCESS"}""", Call(0)));
        Assert.Equal(SeccompAction.Errno | 38, Profile("""{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38}""", Call(0)));
        Assert.Equal(62, Csrunsc.Seccomp.SeccompProfile.NumberOf("kill"));
        foreach (var bad in new[] { """{"defaultAction":"SCMP_ACT_NOTIFY"}""", """{"defaultAction":"SCMP_ACT_BOGUS"}""",
                     """{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_NEW_LISTENER"]}""",
                     """{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]}""" })
        {
            Assert.Null(Csrunsc.Seccomp.SeccompProfile.Compile(JsonDocument.Parse(bad).RootElement, out string? error));
            Assert.NotNull(error);
        }
    }

    [Fact]
    public void ListenerPathIsRefusedOnlyWithANotifyAction()
    {
        // runc 1.1.5 ignores listenerPath when no action is SCMP_ACT_NOTIFY (it never connects).
        string without = """{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/run/none.sock","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}""";
        Assert.Equal(SeccompAction.Errno | 1, Profile(without, Call(83)));
        foreach (var notify in new[] {
                     """{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/run/none.sock","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_NOTIFY"}]}""",
                     """{"defaultAction":"SCMP_ACT_NOTIFY","listenerPath":"/run/none.sock"}""" })
        {
            Assert.Null(Csrunsc.Seccomp.SeccompProfile.Compile(JsonDocument.Parse(notify).RootElement, out string? error));
            Assert.Contains("listenerPath", error);
        }
    }
}
