using Xunit;

namespace SisomCluster.Data.Tests.Infrastructure;

/// <summary>Tests that measure: they run after the parallel ones, alone, so that the cores are not shared while timing.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuredAlone : ICollectionFixture<DatabaseFixture>
{
    public const string Name = "Measured alone";
}
