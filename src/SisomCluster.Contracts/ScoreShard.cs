namespace SisomCluster.Contracts;

/// <summary>Command: score one shard of a run. One message per shard, never per image (ARCHITECTURE.md §3).</summary>
public sealed record ScoreShard
{
    public required Guid RunId { get; init; }

    public required int ShardId { get; init; }

    /// <summary>1 for the first publication; the coordinator increments it when it re-issues an expired lease.</summary>
    public required int Attempt { get; init; }
}
