using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// A [Fact] for the KVM platform: skipped, saying why, unless the test runs as root on a host whose
/// /dev/kvm can be opened (never counted as passed where KVM is absent).
/// </summary>
public sealed class KvmPlatformFactAttribute : FactAttribute
{
    public KvmPlatformFactAttribute()
    {
        if (!HostUser.IsRoot) Skip = HostUser.NotRootSkipReason;
        else if (WhyNoKvm() is { } why) Skip = why;
    }

    /// <summary>Null when /dev/kvm opens read-write; else the reason the KVM platform cannot be tested here.</summary>
    public static string? WhyNoKvm()
    {
        if (!File.Exists("/dev/kvm")) return "the KVM platform needs /dev/kvm, which this host does not have";
        try
        {
            using var f = new FileStream("/dev/kvm", FileMode.Open, FileAccess.ReadWrite);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"the KVM platform needs /dev/kvm, which cannot be opened here ({e.Message})";
        }
    }
}
