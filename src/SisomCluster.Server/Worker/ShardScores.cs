namespace SisomCluster.Server.Worker;

/// <summary>Everything one shard produced: every item is in exactly one of the two lists.</summary>
public sealed record ShardScores(IReadOnlyList<ScoredItem> Scored, IReadOnlyList<FailedItem> Failed)
{
    /// <summary>Where the time went, per stage (read, decode, infer, score); the consumer adds commit.</summary>
    public StageTimings Stages { get; init; } = new();
}
