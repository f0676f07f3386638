using Xunit;

namespace SisomCluster.Inference.Tests;

/// <summary>Tests that count the whole process (allocations): they run after the parallel ones, alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuredAlone
{
    public const string Name = "Measured alone";
}
