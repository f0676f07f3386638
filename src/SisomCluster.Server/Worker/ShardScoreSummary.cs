namespace SisomCluster.Server.Worker;

/// <summary>The counts of a streamed shard (<see cref="ShardScorer"/>): its results went to the sink batch by batch.</summary>
public sealed record ShardScoreSummary(int Scored, int Failed)
{
    /// <summary>Where the time went, per stage (read, decode, infer, score); the consumer adds commit.</summary>
    public StageTimings Stages { get; init; } = new();
}
