using Csrunsc.Sentry.Diagnostics;
using Csrunsc.Sentry.Kernel;
using Xunit;

namespace Csrunsc.Tests.Observability;

/// <summary>What the kernel records of argument values, and the profile rules made of it.</summary>
public sealed class SyscallArgumentUseTests
{
    private static readonly string[] Used = ["socket", "socketpair", "clone", "unshare", "personality"];

    [Fact]
    public void RulesAllowExactlyTheValuesSeen()
    {
        var use = new SyscallArgumentUse();
        use.Socket(2);
        use.Socket(10);
        use.Socket(2);
        use.Socketpair(1);
        use.Clone(0x01200011);              // fork's flags: no namespace bit
        use.Clone(0x04000000 | 17);         // CLONE_NEWUTS
        use.Unshare(0x400);                 // CLONE_FILES only
        use.Personality(0xffffffff);
        use.Personality(0);
        var rules = SeccompProfile.ArgumentRules(use, Used);

        Assert.Equal([(2UL, "SCMP_CMP_EQ"), (10UL, "SCMP_CMP_EQ")],
            rules.Where(r => r.Name == "socket").Select(r => (Assert.Single(r.Args).Value, r.Args[0].Op)));
        Assert.Equal([1UL], rules.Where(r => r.Name == "socketpair").Select(r => r.Args[0].Value));
        var clone = Assert.Single(rules, r => r.Name == "clone").Args[0];
        Assert.Equal(("SCMP_CMP_MASKED_EQ", 0x7E020000UL & ~0x04000000UL, 0UL), (clone.Op, clone.Value, clone.ValueTwo));
        Assert.Equal(0x7E020080UL /* with CLONE_NEWTIME */, Assert.Single(rules, r => r.Name == "unshare").Args[0].Value);
        Assert.Equal([0UL, 0xffffffffUL], rules.Where(r => r.Name == "personality").Select(r => r.Args[0].Value));

        // Not used: no rule, whatever was recorded.
        Assert.DoesNotContain(SeccompProfile.ArgumentRules(use, ["clone"]), r => r.Name == "socket");
    }

    [Fact]
    public void ValuesThatCannotAllBeKeptLeaveTheNamePlain()
    {
        var use = new SyscallArgumentUse();
        use.Socket(-1);                     // outside 0..63
        use.Clone(0x7E020000);              // every namespace bit: nothing left to refuse
        for (uint p = 0; p <= SyscallArgumentUse.PersonaSlots; p++) use.Personality(p);
        Assert.Null(use.SocketFamilies());
        Assert.Null(use.Personas());
        Assert.DoesNotContain(SeccompProfile.ArgumentRules(use, Used), r => r.Name is "socket" or "clone" or "personality");
    }
}
