using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>A [Fact] that is skipped, saying why, unless the test runs as root (uid 0).</summary>
public sealed class RootRequiredFactAttribute : FactAttribute
{
    public RootRequiredFactAttribute()
    {
        if (!HostUser.IsRoot)
        {
            Skip = HostUser.NotRootSkipReason;
        }
    }
}
