using Xunit;

namespace Csrunsc.Tests.Integration;

/// <summary>
/// The containerd/podman integration tests share one <see cref="IntegrationFixture"/> (one
/// containerd, one podman storage) and run one at a time, after and never alongside the other
/// collections: they look at every process and mount on the host.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IntegrationCollection : ICollectionFixture<IntegrationFixture>
{
    public const string Name = "Integration (containerd, podman)";
}
