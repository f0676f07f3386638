namespace SisomCluster.Contracts;

/// <summary>Event: every shard of a run is done or failed, and the run is finalised (selection, thresholds, drift).</summary>
public sealed record RunCompleted
{
    public required Guid RunId { get; init; }

    /// <summary>"completed", or "failed" when the run could not be finalised.</summary>
    public required string State { get; init; }

    public required long Scored { get; init; }

    /// <summary>Items with an error row (undecodable images, items of failed shards).</summary>
    public required long Failed { get; init; }

    public required int FailedShards { get; init; }

    public required int Selected { get; init; }
}
