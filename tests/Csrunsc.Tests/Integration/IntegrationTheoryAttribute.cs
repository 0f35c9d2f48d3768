using Csrunsc.Tests.Differential;
using Xunit;

namespace Csrunsc.Tests.Integration;

/// <summary>
/// A [Theory] over <see cref="IntegrationRuntimes.All"/> that is skipped, saying why, unless the
/// test runs as root, the host programs it needs are installed, and at least one runtime is selected.
/// </summary>
public abstract class IntegrationTheoryAttribute : TheoryAttribute
{
    protected IntegrationTheoryAttribute(string component, string packages, params string[] programs)
    {
        if (!HostUser.IsRoot)
        {
            Skip = HostUser.NotRootSkipReason;
            return;
        }

        var missing = programs.Where(p => Shell.Which(p) is null).ToList();
        if (missing.Count > 0)
        {
            Skip = $"{component} tests need {string.Join(", ", missing)}, which is not installed " +
                   $"(apt-get install -y {packages}; ./test.sh installs it)";
            return;
        }

        if (IntegrationRuntimes.Selected.Count == 0)
        {
            Skip = $"{IntegrationRuntimes.SelectionVariable} selects no runtime";
        }
    }
}

/// <summary>Needs containerd, ctr, the runc v2 shim and `script`.</summary>
public sealed class ContainerdTheoryAttribute()
    : IntegrationTheoryAttribute("containerd", "containerd bsdutils", "containerd", "ctr", "containerd-shim-runc-v2", "script", "runc");

/// <summary>Needs podman, conmon and `script`.</summary>
public sealed class PodmanTheoryAttribute()
    : IntegrationTheoryAttribute("podman", "podman conmon bsdutils", "podman", "conmon", "script", "runc");

/// <summary>Needs only the runtime CLI (and runc to prove the harness).</summary>
public sealed class RuntimeCliTheoryAttribute()
    : IntegrationTheoryAttribute("runtime CLI", "runc busybox-static", "runc");

/// <summary>Needs containerd (as <see cref="ContainerdTheoryAttribute"/>) and, for the pod network, the CNI plugins and iptables.</summary>
public sealed class CriTheoryAttribute : IntegrationTheoryAttribute
{
    public CriTheoryAttribute()
        : base("containerd CRI", "containerd containernetworking-plugins iptables", "containerd", "ctr", "containerd-shim-runc-v2", "runc", "iptables", "gcc")
    {
        if (Skip is null && Cri.CniNetwork.Unavailable() is { } reason)
        {
            Skip = reason;
        }
    }
}
