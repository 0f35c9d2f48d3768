using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>A [Theory] that is skipped, saying why, unless the test runs as root (uid 0).</summary>
public sealed class RootRequiredTheoryAttribute : TheoryAttribute
{
    public RootRequiredTheoryAttribute()
    {
        if (!HostUser.IsRoot)
        {
            Skip = HostUser.NotRootSkipReason;
        }
    }
}
