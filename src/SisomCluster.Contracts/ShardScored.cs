namespace SisomCluster.Contracts;

/// <summary>Event: a shard's rows are committed and the shard is done. A summary, never the scores themselves.</summary>
public sealed record ShardScored
{
    public required Guid RunId { get; init; }

    public required int ShardId { get; init; }

    public required int Attempt { get; init; }

    public required int Scored { get; init; }

    public required int Failed { get; init; }

    /// <summary>Items of this shard flagged OOD by the run's OOD score (<c>ood_score</c>), reference items left out.</summary>
    public required int FlaggedOod { get; init; }

    public required string WorkerId { get; init; }

    public required double Seconds { get; init; }
}
