namespace SisomCluster.Contracts;

/// <summary>Command to the aggregator: build the scoring context of a run from its pool's labels (ARCHITECTURE.md §3 step 0).</summary>
public sealed record PrepareContext
{
    public required Guid RunId { get; init; }
}
