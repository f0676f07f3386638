namespace SisomCluster.Contracts;

/// <summary>Event: a run's scoring context exists; its scoring shards can be published.</summary>
public sealed record ContextReady
{
    public required Guid RunId { get; init; }

    public required Guid ContextId { get; init; }
}
