using Xunit;

namespace Csrunsc.Tests.Differential;

/// <summary>
/// All container tests share one <see cref="DifferentialFixture"/> and run one at a time
/// (a collection's tests never run in parallel): the machine has two cores and the
/// interception test looks at every process on the host.
/// </summary>
[CollectionDefinition(Name)]
public sealed class DifferentialCollection : ICollectionFixture<DifferentialFixture>
{
    public const string Name = "Differential (runc vs csrunsc)";
}
